"""Evaluation of a trained trial: test metric, equivariance, discovery readout, robustness."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import torch

from pipeline.data import Dataset
from pipeline.discovery import DataTest, data_test_id, decided, present_span, run_data_test
from pipeline.errors import TrialStatus
from pipeline.groups import discovery_matches, generator_in_group
from pipeline.methods.learned_spans import (
    SpanComparison,
    learned_cosines,
    learned_matrices,
    learned_span,
)
from pipeline.methods.symmetrize import Averaging, Task, equivariance_error, predict
from pipeline.space import TrialConfig
from pipeline.trial._predict import TEST_SEED_OFFSET, evaluate_split, test_averaging
from pipeline.trial._robustness import robustness_rows
from pipeline.trial._rows import TrialResult, setup_row

if TYPE_CHECKING:
    from pipeline.trial._setup import Setup


def evaluate(setup: Setup, epochs: list[dict[str, Any]], train_seconds: float) -> TrialResult:

    config, data = setup.config, setup.dataset
    started = time.perf_counter()
    averaging = test_averaging(setup, config.seed + TEST_SEED_OFFSET)
    test = evaluate_split(setup, data.test.inputs, data.test.targets, averaging)
    eval_seconds = time.perf_counter() - started
    ratio, plain_error = _equivariance(setup, averaging)
    discovery, model_group, correct, span = _discovery(setup)
    discovered, correct = _with_test(setup, discovery, model_group, correct)
    trial = setup_row(setup, TrialStatus.COMPLETED, None, epochs, train_seconds)
    # A model that learned nothing: its widths say nothing about the data (the data test does
    # not rest on the model, so its verdicts stand wherever no width decided)
    note = (
        None
        if _test_decided(config, discovery)
        else chance_note(setup.task, setup.dataset, trial["val_metric"])
    )
    if note is not None:
        discovered, correct = None, False
    met = averaging.tolerance_met if averaging else _trivially_met(config)
    trial.update(
        test_metric=test,
        equivariance_error=ratio,
        model_equivariance_error=plain_error,
        discovered_group=discovered,
        discovery_correct=correct,
        discovery_note=note,
        **_span_fields(span),
        n_samples=averaging.k if averaging else 1,
        eval_seconds=eval_seconds,
        tolerance_met=met,
        model_group=model_group,
        data_test_id=setup.data_test.test_id if setup.data_test else None,
    )
    return TrialResult(trial, epochs, discovery, robustness_rows(setup, averaging))


def _test_decided(config: TrialConfig, rows: list[dict[str, Any]]) -> bool:
    """Every generator's verdict came from the data test (``test``; ``both`` where it decided)."""
    if config.discovery == "test":
        return True
    return config.discovery == "both" and bool(rows) and all(decided(r) for r in rows)


def _trivially_met(config: TrialConfig) -> bool | None:
    """A trivial candidate averages over its one element: exact, whatever the tolerance."""
    return None if config.tolerance is None else True


def _equivariance(setup: Setup, averaging: Averaging | None) -> tuple[float | None, float | None]:
    """The weak ratio of h, averaged over the evaluation's one fixed set, under the true group."""
    true_group = setup.dataset.group().to(dtype=torch.float32)
    x = setup.dataset.test.inputs[:256].to(setup.device)
    averaged = lambda y: predict(setup.model, setup.candidate, setup.task, y, averaging)  # noqa: E731
    rng = torch.Generator().manual_seed(setup.config.seed + 30_011)
    setup.model.eval()
    return equivariance_error(setup.model, setup.task, true_group, x, averaged, rng)


def _discovery(
    setup: Setup,
) -> tuple[list[dict[str, Any]], str, bool | None, SpanComparison | None]:
    """Discovery rows, the discovered group, whether it matches the true group, and how the
    span of the active learned generators compares with the true algebra (None without any).

    ``true_active``: does the true group contain the generator (from the matrices)? Fixed
    generators are right when their active span and discrete spreads are exactly the part of
    the candidate inside the true group (``discovery_matches``). Learned generators are right
    when their active ones span the true algebra: the same dimension and every principal-angle
    cosine at least cosine_threshold.
    """
    config = setup.config
    readout = setup.augmentation.readout(config.active_threshold)
    true_group = setup.dataset.group()
    padding = [None] * (len(readout.generators) - setup.candidate.lie_dim)  # discrete generators
    cosines = learned_cosines(setup.augmentation, true_group) + padding
    matrices = learned_matrices(setup.augmentation) + padding
    rows = []
    for g, cosine, matrix in zip(readout.generators, cosines, matrices, strict=True):
        true_active = generator_in_group(setup.candidate, g.generator, true_group)
        rows.append(
            {
                "generator": g.generator,
                "learned_width": g.learned_width,
                "normalized_width": g.normalized_width,
                "active": g.active,
                "true_active": true_active,
                "cosine": cosine,
                **_matrix_fields(matrix),
            }
        )
    active_names = [r["generator"] for r in rows if r["active"]]
    fixed_right = discovery_matches(
        setup.candidate, active_names, readout.spread_orders, true_group
    )
    active = [g.active for g in readout.generators[: setup.candidate.lie_dim]]
    span = learned_span(setup.augmentation, true_group, active)
    learned_right = span is None or span.matches(config.cosine_threshold)
    return rows, readout.discovered_group, fixed_right and learned_right, span


def _matrix_fields(matrix: torch.Tensor | None) -> dict[str, Any]:
    """A learned generator's matrix, row-major, and its side d (null for fixed generators)."""
    if matrix is None:
        return {"matrix": None, "matrix_dim": None}
    return {"matrix": matrix.flatten().tolist(), "matrix_dim": matrix.shape[-1]}


def _with_test(
    setup: Setup, rows: list[dict[str, Any]], discovered: str, correct: bool | None
) -> tuple[str, bool | None]:
    """Add the data test's columns (``discovery: test|both``) and let them decide ``active``.

    ``test``: the test's ``present`` decides (an undecided generator is not active). ``both``:
    the test decides where its verdict stands, the learned widths where it is undecided (the
    reader could not see the generator, so the model's tolerance is the only evidence left).
    The widths' own reading stays in ``used_by_model`` (and the trial's ``model_group``). The
    test is the sweep's (``setup.data_test``), else run here once.
    """
    for row in rows:
        row["used_by_model"] = row["active"]
    if setup.config.discovery == "widths" or setup.candidate.learnable:
        return discovered, correct  # a learned candidate's generators exist only after training
    if setup.data_test is None:
        setup.data_test = own_data_test(setup)
    columns = setup.data_test.consensus()
    combined = setup.config.discovery == "both"
    for row in rows:
        row.update(columns.get(row["generator"], {}))
        if not combined or decided(row):
            row["active"] = bool(row.get("present"))
    verdicts = {
        r["generator"]: {"present": r["active"], "invariant_order": r.get("invariant_order")}
        for r in rows
    }
    present = [r["generator"] for r in rows if r["active"]]
    right = discovery_matches(setup.candidate, present, {}, setup.dataset.group())
    return present_span(setup.candidate, verdicts), right


def test_seeds(config: TrialConfig) -> list[int]:
    return [config.test_seed + r for r in range(config.test_repeats)]


def own_data_test(setup: Setup) -> DataTest:
    """The data test of the trial's dataset and candidate, run in the trial (``symsearch trial``;
    a sweep runs it once before its trials)."""
    config = setup.config
    seeds = test_seeds(config)
    test_id = data_test_id(config.dataset, config.data_seed, config.candidate_group, seeds)
    return run_data_test(setup.dataset, setup.candidate, seeds, test_id, setup.device)


def _span_fields(span: SpanComparison | None) -> dict[str, Any]:
    """The trials columns of the learned span (null for candidates without learned generators)."""
    if span is None:
        return {
            "learned_rank": None,
            "true_lie_dim": None,
            "span_cosine": None,
            "closure_residual": None,
        }
    return {
        "learned_rank": span.rank,
        "true_lie_dim": span.true_dim,
        "span_cosine": span.cosine,
        "closure_residual": span.closure_residual,
    }


# -- trials that learned nothing ----------------------------------------------------------------

# A validation metric must beat chance by this many standard errors of the chance level's own
# estimate on the validation split before the trial's widths count as evidence.
CHANCE_MARGIN = 2.0


def chance_level(task: Task, targets: torch.Tensor) -> tuple[float, float] | None:
    """(metric, standard error) of the best prediction that ignores the input, on ``targets``.

    Accuracy: always the most frequent class (the majority rate, never below 1/num_classes).
    MSE: always the targets' mean. Energy per site (the antiferromagnet): independent random
    spins, mean 0 and variance 2/sites per configuration (two bonds per site). None for metrics
    without a known chance level.
    """
    n = len(targets)
    if n == 0:
        return None
    if task.metric == "accuracy":
        p = float(torch.bincount(targets.long().flatten()).max()) / n
        return p, math.sqrt(p * (1 - p) / n)
    if task.metric == "mse":
        flat = targets.reshape(n, -1).to(torch.float64)
        errors = (flat - flat.mean(dim=0)).pow(2).mean(dim=1)
        spread = float(errors.std()) if n > 1 else 0.0
        return float(errors.mean()), spread / math.sqrt(n)
    if task.metric == "energy_per_site":
        sites = math.prod(targets.shape[-2:])
        return 0.0, math.sqrt(2 / (sites * n))
    return None


def chance_note(task: Task, dataset: Dataset, val_metric: float | None) -> str | None:
    """Why the trial claims no discovery (its validation metric is not clearly better than
    chance), or None when it learned something."""
    level = chance_level(task, dataset.val.targets)
    if val_metric is None or level is None:
        return None
    chance, error = level
    margin = CHANCE_MARGIN * error
    better = (
        val_metric > chance + margin
        if dataset.metric_mode == "max"
        else val_metric < chance - margin
    )
    if better:
        return None
    return (
        f"validation {task.metric} {val_metric:.4g} is not better than chance "
        f"({chance:.4g}) by {CHANCE_MARGIN:g} standard errors ({margin:.2g}): widths learned "
        f"by a model at chance are no evidence of symmetry"
    )
