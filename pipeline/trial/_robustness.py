"""Robustness under distribution shift: the test set moved by fixed elements of growing
magnitude (the ``robustness`` table), and the per-epoch ``robustness`` objective."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from pipeline.data import Dataset, Split, lattice_size, shift_grid, shifted_test_set
from pipeline.groups import Group, element_in_group
from pipeline.methods.symmetrize import Averaging
from pipeline.trial._predict import evaluate_split

if TYPE_CHECKING:
    from pipeline.trial._setup import Setup


def robustness_rows(setup: Setup, averaging: Averaging | None) -> list[dict[str, Any]]:
    """Metric on the test set moved along each generator, plain and averaged (over the
    evaluation's fixed set)."""
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
                metrics[key] = (
                    evaluate_split(setup, moved.inputs, moved.targets, None),
                    evaluate_split(setup, moved.inputs, moved.targets, averaging),
                )
            inside = in_support(data, shift, group)
            for averaged, metric in zip((False, True), metrics[key], strict=True):
                rows.append(
                    {
                        "shift": shift.generator,
                        "magnitude": shift.magnitude,
                        "unit": shift.unit,
                        "source": source,
                        "averaged": averaged,
                        "metric": metric,
                        "in_support": inside,
                    }
                )
    return rows


def in_support(data: Dataset, shift: Any, group: Group) -> bool:
    """Does the training data already contain test inputs moved this far along this generator
    (``shift`` from ``group``'s grid)? Within the dataset's declared support, else wherever the
    true group contains the moved element."""
    if _is_identity(shift.element):
        return True
    base = shift.generator.split(".")[-1]
    if base in data.support:
        return shift.magnitude <= data.support[base] + 1e-9
    return element_in_group(group, shift.element, data.group())


def _is_identity(element: torch.Tensor) -> bool:
    return bool(torch.equal(element, torch.eye(len(element), dtype=element.dtype)))


def _shift_key(shift: Any) -> tuple:
    """Identity moves share one evaluation; others are told apart by generator and size."""
    if _is_identity(shift.element):
        return ("identity",)
    return (shift.generator.split(".")[-1], shift.magnitude, shift.unit)


ROBUSTNESS_MAGNITUDES = 3  # moves per generator for the per-epoch score: a few, largest included


def robustness_score(setup: Setup, averaging: Averaging | None) -> float:
    """The validation metric averaged over the validation split moved along each generator of
    the candidate (``ROBUSTNESS_MAGNITUDES`` magnitudes of each grid, evenly spaced, the largest
    included): the per-epoch ``robustness`` objective. A search objective never reads the
    dataset's declared group; a candidate without generators scores the unmoved split."""

    data, val = setup.dataset, setup.dataset.val
    groups = [setup.candidate] if setup.candidate.acts_on >= {data.kind} else []
    metrics, seen = [], set()
    for group in groups:
        for shift in _few_shifts(shift_grid(group, data.kind, lattice_size(data))):
            if _shift_key(shift) in seen:
                continue
            seen.add(_shift_key(shift))
            moved = Split(
                data.act_inputs(group, shift.element, val.inputs),
                data.act_targets(group, shift.element, val.targets),
            )
            metrics.append(evaluate_split(setup, moved.inputs, moved.targets, averaging))
    if not metrics:
        return evaluate_split(setup, val.inputs, val.targets, averaging)
    return float(sum(metrics) / len(metrics))


def _few_shifts(shifts: list[Any]) -> list[Any]:
    """Per generator, ROBUSTNESS_MAGNITUDES of its non-identity moves, evenly spaced."""
    chosen = []
    for name in dict.fromkeys(s.generator for s in shifts):
        moves = [s for s in shifts if s.generator == name and not _is_identity(s.element)]
        moves.sort(key=lambda s: s.magnitude)
        step = max(1, len(moves) // ROBUSTNESS_MAGNITUDES)
        chosen += moves[::-1][::step][:ROBUSTNESS_MAGNITUDES]
    return chosen
