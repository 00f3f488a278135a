"""One trial: a dataset and one point of the search space, trained and read out.

``run_trial(config, report)`` trains an unconstrained model with a learnable augmentation over the
candidate group, calls ``report(metrics)`` after every epoch, and returns the rows of the store's
``trials``, ``epochs``, ``discovery`` and ``robustness`` tables (without ``sweep``/``trial_id``/
``attempt``, which the caller owns). It never imports ray: sweeps wrap it.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from pipeline.augment import LearnableAugmentation, learned_cosines
from pipeline.data import Dataset, build_dataset, lattice_size, shift_grid, shifted_test_set
from pipeline.groups import Group, generator_in_group, get_group
from pipeline.models import build_model
from pipeline.space import SpaceError, TrialConfig, make_config
from pipeline.symmetrize import (
    Averaging,
    Task,
    equivariance_error,
    group_averaging,
    loss,
    predict,
    score,
)
from pipeline.sympe import SymPE, with_encoding_channel

Report = Callable[[dict[str, Any]], None]
Save = Callable[["TrialState"], None]
TIMING_FIELDS = ("train_seconds", "seconds", "finished_at", "eval_seconds")


class Diverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclass
class TrialResult:
    trial: dict[str, Any]
    epochs: list[dict[str, Any]] = field(default_factory=list)
    discovery: list[dict[str, Any]] = field(default_factory=list)
    robustness: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrialState:
    """Everything needed to continue a trial after its last finished epoch (a checkpoint)."""

    epoch: int
    epochs: list[dict[str, Any]]
    model: dict[str, Any]
    augmentation: dict[str, Any]
    optimizer: dict[str, Any]
    generators: dict[str, torch.Tensor]


@dataclass
class Setup:
    """Everything built before training."""

    config: TrialConfig
    dataset: Dataset
    task: Task
    model: nn.Module
    augmentation: LearnableAugmentation
    device: torch.device

    @property
    def candidate(self) -> Group:
        """The candidate group, as the augmentation holds it (float32, on the trial's device)."""
        return self.augmentation.group


def run_trial(
    config: TrialConfig | dict[str, Any], report: Report | None = None, *,
    resume: TrialState | None = None, save: Save | None = None,
) -> TrialResult:  # fmt: skip
    """Train and evaluate one configuration; see the module docstring.

    ``save(state)`` is called after every epoch (before ``report``) with a checkpoint;
    ``resume=state`` continues from one exactly as if the trial had never stopped.
    """
    config = config if isinstance(config, TrialConfig) else make_config(config)
    setup = build(config)
    started = time.perf_counter()
    epochs: list[dict[str, Any]] = list(resume.epochs) if resume else []
    try:
        train(setup, epochs, report or (lambda metrics: None), resume, save)
    except Diverged as reason:
        failed = _trial_row(setup, "failed", str(reason), epochs, time.perf_counter() - started)
        return TrialResult(failed, epochs)
    train_seconds = time.perf_counter() - started
    return evaluate(setup, epochs, train_seconds)


# -- building ---------------------------------------------------------------------------------


def build(config: TrialConfig) -> Setup:
    """Data, model and augmentation for ``config``; configuration errors raise SpaceError."""
    dataset = build_dataset(config.dataset, config.data_seed)
    candidate = get_group(config.candidate_group, learned_domain=dataset.learned_domain)
    for kind in filter(None, (dataset.kind, dataset.target_kind)):
        if kind not in candidate.acts_on:
            raise SpaceError(f"candidate_group: {candidate.name} does not act on {kind} data "
                             f"(it acts on: {', '.join(sorted(candidate.acts_on))})")  # fmt: skip
    device = _device(config.device)
    task = Task(dataset.kind, dataset.task, dataset.metric, dataset.target_kind)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)  # module initializers draw from the global generator
        model = _model(config, dataset).to(device)
    augmentation = LearnableAugmentation(
        candidate.to(dtype=torch.float32), dataset.kind, config.prior, config.init_width,
        config.temperature, config.seed,
    ).to(device)  # fmt: skip
    return Setup(config, dataset, task, model, augmentation, device)


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _model(config: TrialConfig, dataset: Dataset) -> nn.Module:
    in_shape = tuple(dataset.train.inputs.shape[1:])
    if config.symmetry_breaking == "sympe":
        try:
            backbone = _backbone(config, dataset, with_encoding_channel(dataset.kind, in_shape))
        except ValueError as error:
            raise SpaceError(str(error)) from None
        return SymPE(backbone, dataset.group(), dataset.kind, in_shape, config.seed)
    return _backbone(config, dataset, in_shape)


def _backbone(config: TrialConfig, dataset: Dataset, in_shape: tuple[int, ...]) -> nn.Module:
    target_shape = tuple(dataset.train.targets.shape[1:])
    if dataset.task == "classification":
        out_features, out_shape = dataset.num_classes, None
    elif dataset.target_kind is not None:
        out_features, out_shape = None, target_shape
    else:
        out_features, out_shape = max(1, math.prod(target_shape)), None
    return build_model(dataset.kind, dataset.task, in_shape, out_features, out_shape, config.model)


# -- training ---------------------------------------------------------------------------------


def train(setup: Setup, epochs: list[dict[str, Any]], report: Report,
          resume: TrialState | None = None, save: Save | None = None) -> None:  # fmt: skip
    config, data = setup.config, setup.dataset
    optimizer = make_optimizer(setup)
    rng = torch.Generator().manual_seed(config.seed)
    if resume is not None:
        _restore(setup, optimizer, rng, resume)
    inputs, targets = data.train.inputs.to(setup.device), data.train.targets.to(setup.device)
    first = resume.epoch + 1 if resume else 1
    for epoch in range(first, config.epochs + 1):
        started = time.perf_counter()
        optimizer.param_groups[1]["lr"] = config.aug_lr if epoch > config.aug_warmup else 0.0
        train_loss = _train_epoch(setup, optimizer, inputs, targets, rng, epoch)
        val = _validation_metric(setup, epoch)
        row = _epoch_row(setup, epoch, train_loss, val, time.perf_counter() - started)
        epochs.append(row)
        if save is not None:
            save(_state(setup, optimizer, rng, epoch, epochs))
        report(row)


def _generators(setup: Setup, rng: torch.Generator) -> dict[str, torch.Generator]:
    found = {"train": rng}
    if hasattr(setup.model, "rng"):  # SymPE draws canonicalizing elements
        found["sympe"] = setup.model.rng
    return found


def _state(setup: Setup, optimizer: torch.optim.Optimizer, rng: torch.Generator, epoch: int,
           epochs: list[dict[str, Any]]) -> TrialState:  # fmt: skip
    return TrialState(
        epoch=epoch, epochs=[dict(row) for row in epochs],
        model=copy.deepcopy(setup.model.state_dict()),
        augmentation=copy.deepcopy(setup.augmentation.state_dict()),
        optimizer=copy.deepcopy(optimizer.state_dict()),
        generators={k: g.get_state() for k, g in _generators(setup, rng).items()},
    )  # fmt: skip


def _restore(setup: Setup, optimizer: torch.optim.Optimizer, rng: torch.Generator,
             state: TrialState) -> None:  # fmt: skip
    setup.model.load_state_dict(state.model)
    setup.augmentation.load_state_dict(state.augmentation)
    optimizer.load_state_dict(state.optimizer)
    for name, generator in _generators(setup, rng).items():
        generator.set_state(state.generators[name])


def make_optimizer(setup: Setup) -> torch.optim.Optimizer:
    """Adam with separate learning rates; weight decay never touches the augmentation, whose
    widths the regularizer alone should shape."""
    config = setup.config
    return torch.optim.Adam([
        {"params": setup.model.parameters(), "lr": config.lr, "weight_decay": config.weight_decay},
        {"params": setup.augmentation.parameters(), "lr": config.aug_lr, "weight_decay": 0.0},
    ])  # fmt: skip


def _train_epoch(setup: Setup, optimizer: torch.optim.Optimizer, inputs: torch.Tensor,
                 targets: torch.Tensor, rng: torch.Generator, epoch: int) -> float:  # fmt: skip
    setup.model.train()
    order = torch.randperm(len(inputs), generator=rng).to(setup.device)
    total, batches = 0.0, 0
    for start in range(0, len(inputs), setup.config.batch_size):
        index = order[start : start + setup.config.batch_size]
        x, y = inputs[index], targets[index]
        moved, elements = setup.augmentation(x, rng)
        if setup.task.target_kind is not None:  # equivariant targets move with their inputs
            y = setup.dataset.act_targets(setup.candidate, elements, y)
        task_loss = loss(setup.task, setup.model(moved), y)
        orthogonality, sparsity = setup.augmentation.basis_penalties()
        objective = (
            task_loss
            + setup.config.reg * setup.augmentation.regularizer()
            + setup.config.basis_orthogonality * orthogonality
            + setup.config.basis_sparsity * sparsity
        )
        if not torch.isfinite(objective):
            raise Diverged(f"loss became {objective.item()} at epoch {epoch}, batch {batches + 1}")
        optimizer.zero_grad(set_to_none=True)
        objective.backward()
        optimizer.step()
        total, batches = total + task_loss.item(), batches + 1
    return total / batches


def learned_averaging(setup: Setup, k: int, seed: int) -> Averaging | None:
    """k draws from the learned distribution, with their own reproducible generator."""
    if setup.candidate.lie_dim == 0 and setup.candidate.num_discrete == 0:
        return None  # trivial candidate: h = f
    rng = torch.Generator().manual_seed(seed)
    return Averaging(k, lambda j, n: setup.augmentation.sample_elements(n, rng))


def test_averaging(setup: Setup, seed: int) -> Averaging | None:
    """The predictor the trial is judged by: the learned distribution (eval_samples draws), or,
    with a tolerance, the candidate group itself with k from the averaging complexity."""
    if setup.config.tolerance is None:
        return learned_averaging(setup, setup.config.eval_samples, seed)
    return group_averaging(setup.candidate, setup.config.tolerance, seed)


def _evaluate_split(setup: Setup, inputs: torch.Tensor, targets: torch.Tensor,
                    averaging: Averaging | None) -> float:  # fmt: skip
    setup.model.eval()
    x, y = inputs.to(setup.device), targets.to(setup.device)
    return score(setup.task, predict(setup.model, setup.candidate, setup.task, x, averaging), y)


def _validation_metric(setup: Setup, epoch: int) -> float:
    val = setup.dataset.val
    averaging = learned_averaging(setup, setup.config.val_samples, setup.config.seed + epoch)
    return _evaluate_split(setup, val.inputs, val.targets, averaging)


def _epoch_row(setup: Setup, epoch: int, train_loss: float, val: float, seconds: float) -> dict:
    aug = setup.augmentation
    readout = aug.readout(setup.config.active_threshold)
    return {
        "epoch": epoch, "train_loss": train_loss, "val_metric": val,
        "widths": [g.learned_width for g in readout.generators],
        "normalized_widths": [g.normalized_width for g in readout.generators],
        "seconds": seconds,
    }  # fmt: skip


# -- evaluation -------------------------------------------------------------------------------


def evaluate(setup: Setup, epochs: list[dict[str, Any]], train_seconds: float) -> TrialResult:
    config, data = setup.config, setup.dataset
    started = time.perf_counter()
    averaging = test_averaging(setup, config.seed + 10_007)
    test = _evaluate_split(setup, data.test.inputs, data.test.targets, averaging)
    eval_seconds = time.perf_counter() - started
    ratio, plain_error = _equivariance(setup)
    discovery, discovered, correct = _discovery(setup)
    trial = _trial_row(setup, "completed", None, epochs, train_seconds)
    trial.update(test_metric=test, equivariance_error=ratio, model_equivariance_error=plain_error,
                 discovered_group=discovered, discovery_correct=correct,
                 n_samples=averaging.k if averaging else 1, eval_seconds=eval_seconds)  # fmt: skip
    return TrialResult(trial, epochs, discovery, _robustness(setup))


def _equivariance(setup: Setup) -> tuple[float | None, float | None]:
    true_group = setup.dataset.group().to(dtype=torch.float32)
    x = setup.dataset.test.inputs[:256].to(setup.device)
    averaging = test_averaging(setup, setup.config.seed + 20_011)
    averaged = lambda y: predict(setup.model, setup.candidate, setup.task, y, averaging)  # noqa: E731
    rng = torch.Generator().manual_seed(setup.config.seed + 30_011)
    setup.model.eval()
    return equivariance_error(setup.model, setup.task, true_group, x, averaged, rng)


def _discovery(setup: Setup) -> tuple[list[dict[str, Any]], str, bool | None]:
    """Discovery rows, the discovered group, and whether it matches the true group.

    Fixed generators are judged by ``true_active`` (do they lie in the true group?). Learned
    generators are right when the active ones number the true algebra's dimension and each
    lies within cosine_threshold of it.
    """
    config = setup.config
    readout = setup.augmentation.readout(config.active_threshold)
    true_group = setup.dataset.group()
    cosines = learned_cosines(setup.augmentation, true_group)
    cosines += [None] * (len(readout.generators) - len(cosines))  # discrete generators
    rows = []
    for g, cosine in zip(readout.generators, cosines, strict=True):
        true_active = generator_in_group(g.generator, setup.dataset.true_group)
        rows.append({"generator": g.generator, "learned_width": g.learned_width,
                     "normalized_width": g.normalized_width, "active": g.active,
                     "true_active": true_active, "cosine": cosine})  # fmt: skip
    fixed_right = all(r["active"] == r["true_active"] for r in rows if r["cosine"] is None)
    learned = [r for r in rows if r["cosine"] is not None]
    learned_right = True
    if learned:
        active = [r for r in learned if r["active"]]
        true_dim = _true_algebra_dim(true_group, setup.candidate)
        learned_right = len(active) == true_dim and all(
            r["cosine"] >= config.cosine_threshold for r in active
        )
    return rows, readout.discovered_group, fixed_right and learned_right


def _true_algebra_dim(true_group: Group, candidate: Group) -> int:
    domains = {f.domain for f, _ in candidate.blocks() if f.learnable}
    return sum(f.lie_dim for f, _ in true_group.blocks() if f.domain in domains)


def _robustness(setup: Setup) -> list[dict[str, Any]]:
    """Metric on the test set moved along each generator, plain and averaged."""
    if setup.config.robustness == "none":
        return []
    data, config = setup.dataset, setup.config
    size = lattice_size(data)
    groups = [("true", data.group().to(dtype=torch.float32))]
    if config.robustness == "all" and setup.candidate.acts_on >= {data.kind}:
        groups.append(("candidate", setup.candidate))
    rows: list[dict[str, Any]] = []
    metrics: dict[tuple, tuple[float, float]] = {}  # evaluated elements, plain and averaged
    for source, group in groups:
        for shift in shift_grid(group, data.kind, size):
            key = _shift_key(shift)
            if key in metrics and not _is_identity(shift.element):
                continue  # the same move from the candidate's grid: already evaluated
            if key not in metrics:
                moved = shifted_test_set(data, group, shift)
                averaging = test_averaging(setup, config.seed + 40_009)
                metrics[key] = (
                    _evaluate_split(setup, moved.inputs, moved.targets, None),
                    _evaluate_split(setup, moved.inputs, moved.targets, averaging),
                )
            for averaged, metric in zip((False, True), metrics[key], strict=True):
                rows.append({"shift": shift.generator, "magnitude": shift.magnitude,
                             "unit": shift.unit, "source": source, "averaged": averaged,
                             "metric": metric})  # fmt: skip
    return rows


def _is_identity(element: torch.Tensor) -> bool:
    return bool(torch.equal(element, torch.eye(len(element), dtype=element.dtype)))


def _shift_key(shift: Any) -> tuple:
    """Identity moves share one evaluation; others are told apart by generator and size."""
    if _is_identity(shift.element):
        return ("identity",)
    return (shift.generator.split(".")[-1], shift.magnitude, shift.unit)


def _trial_row(
    setup: Setup, status: str, error: str | None, epochs: list[dict[str, Any]],
    train_seconds: float,
) -> dict[str, Any]:  # fmt: skip
    config, data = setup.config, setup.dataset
    return {
        "status": status, "error": error, "dataset": data.name, "true_group": data.true_group,
        "candidate_group": config.candidate_group, "prior": config.prior,
        "init_width": config.init_width, "reg": config.reg, "tolerance": config.tolerance,
        "n_samples": None, "symmetry_breaking": config.symmetry_breaking,
        "lr": config.lr, "seed": config.seed, "epochs": len(epochs),
        "metric_name": data.metric, "metric_mode": data.metric_mode,
        "val_metric": epochs[-1]["val_metric"] if epochs else None, "test_metric": None,
        "equivariance_error": None, "discovered_group": None, "discovery_correct": None,
        "train_seconds": train_seconds, "device": setup.device.type, "node": platform.node(),
        "config_json": config.to_json(),
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }  # fmt: skip
