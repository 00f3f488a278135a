"""One trial: a dataset and one point of the search space, trained and read out.

``run_trial(config, report)`` trains an unconstrained model with a learnable augmentation over the
candidate group, calls ``report(metrics)`` after every epoch, and returns the rows of the store's
``trials``, ``epochs``, ``discovery`` and ``robustness`` tables (without ``sweep``/``trial_id``/
``attempt``, which the caller owns). It never imports ray: sweeps wrap it.
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import torch
from torch import nn

from pipeline.actions import act
from pipeline.augment import LearnableAugmentation
from pipeline.data import BUILTIN, Dataset, build_dataset, lattice_size
from pipeline.discovery import DataTest
from pipeline.errors import NumericalBreakdown, SymsearchError, TrialStatus
from pipeline.evaluation import (
    TrialResult,
    evaluate,
    evaluate_split,
    learned_averaging,
    robustness_score,
    setup_row,
)
from pipeline.groups import Group, get_group
from pipeline.learned_start import data_start
from pipeline.models import build_model, model_config
from pipeline.space import SpaceError, TrialConfig, make_config
from pipeline.symmetrize import Task, loss
from pipeline.sympe import SymPE, with_encoding_channel

Report = Callable[[dict[str, Any]], None]
Save = Callable[["TrialState"], None]
RANDOM_BASIS_LR = 0.02  # a random start's basis rate: found rotation on 900 rotated digits
TIMING_FIELDS = ("train_seconds", "seconds", "finished_at", "eval_seconds", "build_seconds",
                 "total_seconds")  # fmt: skip


class Diverged(NumericalBreakdown):
    """The loss, or the augmentation's widths, became NaN or infinite."""


# Numerical breakdowns end a trial as failed with a one-line reason instead of a traceback.
BREAKDOWNS = (NumericalBreakdown, torch.linalg.LinAlgError)


def _breakdown_line(reason: Exception, epochs: list[dict[str, Any]]) -> str:
    if isinstance(reason, Diverged):
        return str(reason)  # says where already
    return f"numerical breakdown after {len(epochs)} epochs: {_first_line(reason)}"


@dataclass
class TrialState:
    """Everything needed to continue a trial after its last finished epoch (a checkpoint)."""

    epoch: int
    epochs: list[dict[str, Any]]
    model: dict[str, Any]
    augmentation: dict[str, Any]
    optimizer: dict[str, Any]
    generators: dict[str, torch.Tensor]

    def to_dict(self) -> dict[str, Any]:
        """Plain containers and tensors only: ``torch.load(..., weights_only=True)`` reads it."""
        return asdict(self)


@dataclass
class Setup:
    """Everything built before training."""

    config: TrialConfig
    dataset: Dataset
    task: Task
    model: nn.Module
    augmentation: LearnableAugmentation
    device: torch.device
    basis_lr: float = 0.0  # a learned basis's rate, resolved by basis_plan
    data_test: DataTest | None = None  # the sweep's test of this data and candidate, if run

    @property
    def candidate(self) -> Group:
        """The candidate group, as the augmentation holds it (float32, on the trial's device)."""
        return self.augmentation.group


def run_trial(
    config: TrialConfig | dict[str, Any], report: Report | None = None, *,
    resume: TrialState | None = None, save: Save | None = None,
    data_test: DataTest | None = None,
) -> TrialResult:  # fmt: skip
    """Train and evaluate one configuration; see the module docstring.

    ``save(state)`` is called after every epoch (before ``report``) with a checkpoint;
    ``resume=state`` continues from one exactly as if the trial had never stopped;
    ``data_test``: the sweep's test of this dataset and candidate (else the trial runs it).
    """
    config = config if isinstance(config, TrialConfig) else make_config(config)
    began = time.perf_counter()
    setup = build(config)
    setup.data_test = data_test
    damage = state_damage(setup, resume) if resume is not None else None
    resume = None if damage else resume  # a damaged checkpoint: restart from the first epoch
    started = time.perf_counter()
    epochs: list[dict[str, Any]] = list(resume.epochs) if resume else []
    try:
        train(setup, epochs, report or (lambda metrics: None), resume, save)
        result = evaluate(setup, epochs, time.perf_counter() - started)
    except BREAKDOWNS as reason:  # the trial fails with the reason; a sweep goes on
        seconds = time.perf_counter() - started
        row = setup_row(setup, TrialStatus.FAILED, _breakdown_line(reason, epochs), epochs,
                        seconds)  # fmt: skip
        result = TrialResult(row, epochs)
    result.trial.update(build_seconds=started - began, total_seconds=time.perf_counter() - began)
    if damage and not result.trial.get("error"):
        result.trial["error"] = f"saved state unusable ({damage}); restarted from epoch 1"
    return result


def state_damage(setup: Setup, state: Any) -> str | None:
    """Why a checkpoint cannot continue this trial (None: it can): it is applied to copies of
    the model, augmentation, optimizer and generators, so a failure touches nothing."""
    try:
        if not isinstance(state, TrialState) or not 0 <= state.epoch <= setup.config.epochs \
                or len(state.epochs) != state.epoch:  # fmt: skip
            return "its epochs do not match"
        trial_copy = replace(setup, model=copy.deepcopy(setup.model),
                             augmentation=copy.deepcopy(setup.augmentation))  # fmt: skip
        rng = torch.Generator().manual_seed(0)
        _restore(trial_copy, make_optimizer(trial_copy), rng, state)
    except Exception as error:  # any damage: a key, a shape, a type, a missing generator
        return f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
    return None


# -- building ---------------------------------------------------------------------------------


def build(config: TrialConfig, dataset: Dataset | None = None) -> Setup:
    """Data, model and augmentation for ``config``, checked by one forward pass on a tiny slice
    (``dry_run``); configuration errors raise a SymsearchError before any training. The cheap
    checks (device, model options) come before the dataset is built. ``dataset``: one already
    built from ``config.dataset`` (a sweep checks each candidate against one dataset)."""
    device = _device(config.device)
    check_model_options(config)
    if dataset is None:
        dataset = build_dataset(config.dataset, config.data_seed)
    candidate = check_candidate(config.candidate_group, dataset)
    task = Task(dataset.kind, dataset.task, dataset.metric, dataset.target_kind)
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        torch.manual_seed(config.seed)  # module initializers draw from the global generator
        warnings.filterwarnings("ignore", "Initializing zero-element")  # dry_run says why
        model = _model(config, dataset, candidate).to(device)
    augmentation = LearnableAugmentation(
        candidate.to(dtype=torch.float32), dataset.kind, config.prior, config.init_width,
        config.temperature, config.seed, lattice_size(dataset),
    ).to(device)  # fmt: skip
    basis_init, basis_lr = basis_plan(config, dataset.kind)
    if basis_init == "data" and candidate.learnable:
        augmentation.start_basis(_data_start(augmentation, dataset, config.seed))
    setup = Setup(config, dataset, task, model, augmentation, device, basis_lr)
    dry_run(setup)
    return setup


def basis_plan(config: TrialConfig, kind: str) -> tuple[str, float]:
    """(start, learning rate) of a learned basis, ``auto`` and None resolved: a data start
    where examples are ordered arrays (images), a random one on point sets; the task's gradient
    moves a data start only when ``basis_lr`` asks for it (it pulls it off the data's
    symmetry), a random start at RANDOM_BASIS_LR (SEMoLA)."""
    init = config.basis_init
    if init == "auto":
        init = "random" if kind == "points" else "data"
    if config.basis_lr is not None:
        return init, config.basis_lr
    return init, 0.0 if init == "data" else RANDOM_BASIS_LR


def _data_start(augmentation: LearnableAugmentation, dataset: Dataset,
                seed: int) -> torch.Tensor:  # fmt: skip
    """Starts for a learned basis along the training data's most spread directions."""
    labels = dataset.train.targets if dataset.task == "classification" else None
    rng = torch.Generator().manual_seed(seed)
    return data_start(augmentation.group.to(dtype=torch.float64), dataset.kind,
                      augmentation.basis_mask.cpu(), augmentation.learned_mask().cpu(),
                      dataset.train.inputs, labels, rng)  # fmt: skip


def check_candidate(name: str, dataset: Dataset) -> Group:
    """The candidate group for this dataset; SpaceError when it cannot act on the data, found
    by moving one example with one element (before anything sized by the group is built:
    S2000's augmentation alone would take minutes)."""
    candidate = get_group(name, learned_domain=dataset.learned_domain)
    for kind in filter(None, (dataset.kind, dataset.target_kind)):
        if kind not in candidate.acts_on:
            raise SpaceError(f"candidate_group: {candidate.name} does not act on {kind} data "
                             f"(it acts on: {', '.join(sorted(candidate.acts_on))})")  # fmt: skip
    element = candidate.sample(1, torch.Generator().manual_seed(0))
    try:
        act(candidate, element, dataset.train.inputs[:1], dataset.kind)
        dataset.act_targets(candidate, element, dataset.train.targets[:1])
    except ValueError as error:
        raise SpaceError(f"candidate_group: {candidate.name} cannot act on this data: "
                         f"{_first_line(error)}") from None  # fmt: skip
    return candidate


def check_model_options(config: TrialConfig) -> None:
    """Model options against the backbone's schema, before the dataset is built when its kind
    is known (built-in datasets); a factory's kind is known once it is built (build_model)."""
    name = config.dataset.get("name")
    if isinstance(name, str) and name in BUILTIN:
        model_config(BUILTIN[name].kind, config.model)


def dry_run(setup: Setup) -> None:
    """One augmented forward pass and loss on two training examples, without gradients, in
    eval mode and with every generator's state kept: options that fit each other's types but
    not the data (a network whose pooling leaves nothing of a small image) fail here in one
    line instead of in the first training batch."""
    x = setup.dataset.train.inputs[:2].to(setup.device)
    y = setup.dataset.train.targets[:2].to(setup.device)
    kept = {name: g.get_state() for name, g in _generators(setup, torch.Generator()).items()}
    training = setup.model.training
    setup.model.eval()
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            moved, elements = setup.augmentation(x, torch.Generator().manual_seed(0))
            y = setup.dataset.act_targets(setup.candidate, elements, y)
            loss(setup.task, setup.model(moved), y)
    except SymsearchError:
        raise
    except (RuntimeError, ValueError, IndexError) as error:
        config = setup.config
        raise SpaceError(f"model {config.model or '{}'} with candidate_group "
                         f"{config.candidate_group} fails on the data: "
                         f"{_first_line(error)}") from None  # fmt: skip
    finally:
        setup.model.train(training)
        for name, generator in _generators(setup, torch.Generator()).items():
            if name in kept and name != "train":
                generator.set_state(kept[name])


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines() or [type(error).__name__]
    return lines[0][:300]


def _device(name: str) -> torch.device:
    """The trial's device; SpaceError when this machine has no such device."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if (device.index or 0) >= count:
            raise SpaceError(f"device: {name} is not available here ({count} CUDA devices)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise SpaceError("device: mps is not available here")
    return device


def _model(config: TrialConfig, dataset: Dataset, candidate: Group) -> nn.Module:
    in_shape = tuple(dataset.train.inputs.shape[1:])
    if config.symmetry_breaking == "sympe":
        # canonicalized over the candidate group: the trial's own hypothesis, never the
        # dataset's declared group (which only scores correctness)
        try:  # data or a candidate SymPE cannot canonicalize: a configuration error
            backbone = _backbone(config, dataset, with_encoding_channel(dataset.kind, in_shape))
            return SymPE(backbone, candidate, dataset.kind, in_shape, config.seed)
        except ValueError as error:
            raise SpaceError(str(error)) from None
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
        augmenting = epoch > config.aug_warmup
        optimizer.param_groups[1]["lr"] = config.aug_lr if augmenting else 0.0
        optimizer.param_groups[2]["lr"] = setup.basis_lr if augmenting else 0.0
        if epoch == config.aug_warmup + config.basis_warmup + 1:  # the direction phase ends
            setup.augmentation.release_widths()
        train_loss = _train_epoch(setup, optimizer, inputs, targets, rng, epoch)
        val = _validation_metric(setup, epoch)
        row = _epoch_row(setup, epoch, train_loss, val, time.perf_counter() - started)
        if _robustness_due(config, epoch):
            row["robustness"] = robustness_score(setup, _val_averaging(setup, epoch))
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
    """Adam with separate learning rates for the network, the augmentation's distribution
    (widths, logits) and a learned basis; weight decay never touches the augmentation, whose
    widths the regularizer alone should shape."""
    config, aug = setup.config, setup.augmentation
    return torch.optim.Adam([
        {"params": setup.model.parameters(), "lr": config.lr, "weight_decay": config.weight_decay},
        {"params": aug.distribution_parameters(), "lr": config.aug_lr, "weight_decay": 0.0},
        {"params": aug.basis_parameters(), "lr": setup.basis_lr, "weight_decay": 0.0},
    ])  # fmt: skip


def _train_epoch(setup: Setup, optimizer: torch.optim.Optimizer, inputs: torch.Tensor,
                 targets: torch.Tensor, rng: torch.Generator, epoch: int) -> float:  # fmt: skip
    setup.model.train()
    order = torch.randperm(len(inputs), generator=rng).to(setup.device)
    holding = epoch <= setup.config.aug_warmup + setup.config.basis_warmup
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
        setup.augmentation.after_step(hold_widths=holding)
        if not bool(torch.isfinite(setup.augmentation.all_widths()).all()):
            raise Diverged(f"augmentation widths became NaN or infinite at epoch {epoch}, "
                           f"batch {batches + 1}")  # fmt: skip
        total, batches = total + task_loss.item(), batches + 1
    return total / batches


def _validation_metric(setup: Setup, epoch: int) -> float:
    val = setup.dataset.val
    return evaluate_split(setup, val.inputs, val.targets, _val_averaging(setup, epoch))


def _val_averaging(setup: Setup, epoch: int) -> Any:
    return learned_averaging(setup, setup.config.val_samples, setup.config.seed + epoch)


def _robustness_due(config: TrialConfig, epoch: int) -> bool:
    """Every ``robustness_every`` epochs and at the last one (0: never)."""
    every = config.robustness_every
    return every > 0 and (epoch % every == 0 or epoch == config.epochs)


def _epoch_row(setup: Setup, epoch: int, train_loss: float, val: float, seconds: float) -> dict:
    aug = setup.augmentation
    readout = aug.readout(setup.config.active_threshold)
    return {
        "epoch": epoch, "train_loss": train_loss, "val_metric": val,
        "widths": [g.learned_width for g in readout.generators],
        "normalized_widths": [g.normalized_width for g in readout.generators],
        "seconds": seconds,
    }  # fmt: skip
