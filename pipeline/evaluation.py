"""Evaluation of a trained trial: test metric, equivariance, discovery readout, robustness.

Also the ``trials`` row itself (``trial_row``), which a sweep driver builds too, for trials that
ended before they could write one (stopped early by the scheduler, or killed).
"""

from __future__ import annotations

import datetime as dt
import platform
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from pipeline.augment import learned_cosines
from pipeline.data import Dataset, lattice_size, shift_grid, shifted_test_set
from pipeline.discovery import present_span, test_columns
from pipeline.groups import Group, generator_in_group
from pipeline.space import TrialConfig
from pipeline.symmetrize import Averaging, equivariance_error, group_averaging, predict, score

if TYPE_CHECKING:
    from pipeline.trial import Setup


@dataclass
class TrialResult:
    """The rows a trial contributes to the store's tables (without sweep/trial_id/attempt)."""

    trial: dict[str, Any]
    epochs: list[dict[str, Any]] = field(default_factory=list)
    discovery: list[dict[str, Any]] = field(default_factory=list)
    robustness: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def dataset_fields(dataset: Dataset) -> dict[str, Any]:
    """The dataset's columns of a ``trials`` row."""
    return {"dataset": dataset.name, "true_group": dataset.true_group,
            "metric_name": dataset.metric, "metric_mode": dataset.metric_mode}  # fmt: skip


def trial_row(
    config: TrialConfig, dataset: dict[str, Any], status: str, error: str | None,
    epochs_done: int, val_metric: float | None, train_seconds: float, device: str,
) -> dict[str, Any]:  # fmt: skip
    """A ``trials`` row before evaluation: the configuration, the status and the last epoch."""
    return {
        "status": status, "error": error, **dataset,
        "candidate_group": config.candidate_group, "prior": config.prior,
        "init_width": config.init_width, "reg": config.reg, "tolerance": config.tolerance,
        "n_samples": None, "symmetry_breaking": config.symmetry_breaking,
        "lr": config.lr, "seed": config.seed, "epochs": epochs_done,
        "val_metric": val_metric, "test_metric": None,
        "equivariance_error": None, "discovered_group": None, "discovery_correct": None,
        "train_seconds": train_seconds, "device": device, "node": platform.node(),
        "config_json": config.to_json(),
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }  # fmt: skip


def setup_row(setup: Setup, status: str, error: str | None, epochs: list[dict[str, Any]],
              train_seconds: float) -> dict[str, Any]:  # fmt: skip
    last = epochs[-1]["val_metric"] if epochs else None
    return trial_row(setup.config, dataset_fields(setup.dataset), status, error, len(epochs),
                     last, train_seconds, setup.device.type)  # fmt: skip


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


def evaluate_split(setup: Setup, inputs: torch.Tensor, targets: torch.Tensor,
                    averaging: Averaging | None) -> float:  # fmt: skip
    setup.model.eval()
    x, y = inputs.to(setup.device), targets.to(setup.device)
    return score(setup.task, predict(setup.model, setup.candidate, setup.task, x, averaging), y)


# -- evaluation -------------------------------------------------------------------------------


def evaluate(setup: Setup, epochs: list[dict[str, Any]], train_seconds: float) -> TrialResult:

    config, data = setup.config, setup.dataset
    started = time.perf_counter()
    averaging = test_averaging(setup, config.seed + 10_007)
    test = evaluate_split(setup, data.test.inputs, data.test.targets, averaging)
    eval_seconds = time.perf_counter() - started
    ratio, plain_error = _equivariance(setup)
    discovery, discovered, correct = _discovery(setup)
    discovered, correct = _with_test(setup, discovery, discovered, correct)
    trial = setup_row(setup, "completed", None, epochs, train_seconds)
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


def _with_test(setup: Setup, rows: list[dict[str, Any]], discovered: str,
               correct: bool | None) -> tuple[str, bool | None]:  # fmt: skip
    """Add the data test's columns (``discovery: test|both``); with ``test`` its verdicts decide."""
    if setup.config.discovery == "widths":
        return discovered, correct
    columns = test_columns(setup.dataset, setup.candidate, setup.config.seed, setup.device)
    for row in rows:
        row.update(columns.get(row["generator"], {}))
    if setup.config.discovery == "both" or not columns:
        return discovered, correct
    for row in rows:
        row["active"] = row["present"]
    right = all(r["present"] == r["true_active"] for r in rows if r["true_active"] is not None)
    return present_span(setup.candidate, columns), right


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
                    evaluate_split(setup, moved.inputs, moved.targets, None),
                    evaluate_split(setup, moved.inputs, moved.targets, averaging),
                )
            inside = in_support(data, shift)
            for averaged, metric in zip((False, True), metrics[key], strict=True):
                rows.append({"shift": shift.generator, "magnitude": shift.magnitude,
                             "unit": shift.unit, "source": source, "averaged": averaged,
                             "metric": metric, "in_support": inside})  # fmt: skip
    return rows


def in_support(data: Dataset, shift: Any) -> bool:
    """Does the training data already contain test inputs moved this far along this generator?"""
    if _is_identity(shift.element):
        return True
    base = shift.generator.split(".")[-1]
    if base in data.support:
        return shift.magnitude <= data.support[base] + 1e-9
    return generator_in_group(shift.generator, data.true_group)


def _is_identity(element: torch.Tensor) -> bool:
    return bool(torch.equal(element, torch.eye(len(element), dtype=element.dtype)))


def _shift_key(shift: Any) -> tuple:
    """Identity moves share one evaluation; others are told apart by generator and size."""
    if _is_identity(shift.element):
        return ("identity",)
    return (shift.generator.split(".")[-1], shift.magnitude, shift.unit)
