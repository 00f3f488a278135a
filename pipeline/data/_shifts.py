"""Shifted test sets: the test split moved along one generator by fixed, growing amounts.

Each generator's record (``pipeline.groups.GeneratorRecord``) says how its grid steps and in
which unit (``magnitude``):

    angle        (rotations)              0..180 degrees in 15 degree steps
    translation  (translations)           images/points: 0..0.5 of the side in steps of 0.05;
                                          lattices: 0..L/2 whole sites
    factor       (scale, stretch, shear)  factors 1.0..2.0 in steps of 0.1
    coefficient  (other algebra)          coefficients 0..range in 10 steps
    turn         (discrete rotations)     powers 0..n/2, reported in degrees
    positions    (cyclic shifts)          powers 0..N/2, reported in positions moved
    power        (other discrete)         powers 0..order/2 (a mirror or flip: 0 and 1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from pipeline.data._base import Dataset, Split
from pipeline.groups import GeneratorRecord, Group
from pipeline.kinds import kind_record


@dataclass(frozen=True)
class Shift:
    """One fixed element along one generator."""

    generator: str
    magnitude: float
    unit: str
    element: Tensor  # (d, d)


def _lie_grid(
    record: GeneratorRecord, natural_range: float, kind: str, size: int
) -> tuple[list, list]:
    """(magnitudes, coefficients) for one algebra generator."""
    if record.grid == "angle":
        degrees = list(range(0, 181, 15))
        return degrees, [math.radians(d) for d in degrees]
    if record.grid == "translation" and kind_record(kind).whole_sites:
        sites = list(range(size // 2 + 1))
        return sites, [2 * s / size for s in sites]
    if record.grid == "translation":
        fractions = [round(0.05 * i, 2) for i in range(11)]
        return fractions, [2 * f for f in fractions]  # the side spans 2 units
    if record.grid == "factor":
        factors = [round(1 + 0.1 * i, 1) for i in range(11)]
        return factors, [math.log(f) for f in factors]
    steps = [natural_range * i / 10 for i in range(11)]
    return steps, steps


def _discrete_grid(record: GeneratorRecord, order: int) -> tuple[list[float], list[int]]:
    powers = list(range(order // 2 + 1))
    if record.grid == "turn":
        return [360 * p / order for p in powers], powers
    if record.grid == "positions":
        return [float(p * record.step) for p in powers], powers
    return [float(p) for p in powers], powers


def shift_grid(group: Group, kind: str, size: int = 0) -> list[Shift]:
    """Every (generator, magnitude) element of the robustness grid; ``size``: lattice side."""
    shifts = []
    for i, (name, natural_range, record) in enumerate(
        zip(group.lie_names, group.lie_ranges, group.lie_records, strict=True)
    ):
        magnitudes, coefficients = _lie_grid(record, natural_range, kind, size)
        for magnitude, c in zip(magnitudes, coefficients, strict=True):
            a = torch.zeros(group.lie_dim, dtype=group.dtype)
            a[i] = c
            shifts.append(Shift(name, float(magnitude), record.unit(kind), group.exp(a)))
    for name, generator, order, record in zip(
        group.discrete_names,
        group.discrete_generators,
        group.generator_orders,
        group.discrete_records,
        strict=True,
    ):
        magnitudes, powers = _discrete_grid(record, order)
        for magnitude, p in zip(magnitudes, powers, strict=True):
            element = torch.linalg.matrix_power(generator, p)
            shifts.append(Shift(name, magnitude, record.unit(kind), element))
    return shifts


def shifted_test_set(dataset: Dataset, group: Group, shift: Shift) -> Split:
    """The test split moved by ``shift.element`` (targets too, for equivariant tasks)."""
    test = dataset.test
    return Split(
        dataset.act_inputs(group, shift.element, test.inputs),
        dataset.act_targets(group, shift.element, test.targets),
    )


def lattice_size(dataset: Dataset) -> int:
    """The side of a kind on whole sites (a lattice), else 0."""
    return dataset.test.inputs.shape[-1] if kind_record(dataset.kind).whole_sites else 0
