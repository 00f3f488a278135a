"""Shifted test sets: the test split moved along one generator by fixed, growing amounts.

Grids per generator (``magnitude`` in the unit named beside it):

    rotations (rot, rx, ry, rz)     0..180 degrees in 15 degree steps
    translations (tx, ty)           images/points: 0..0.5 of the side in steps of 0.05;
                                    lattices: 0..L/2 whole sites
    scale, stretch, shear           factors 1.0..2.0 in steps of 0.1
    other algebra generators        coefficients 0..range in 10 steps
    discrete rotations (rot<n>)     powers 0..n/2, reported in degrees
    cyclic shifts (shift1)          0..N/2 positions
    other discrete generators       powers 0..order/2 (a mirror or flip: 0 and 1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from pipeline.data._base import Dataset, Split
from pipeline.groups import Group


@dataclass(frozen=True)
class Shift:
    """One fixed element along one generator."""

    generator: str
    magnitude: float
    unit: str
    element: Tensor  # (d, d)


def _lie_grid(name: str, natural_range: float, kind: str, size: int) -> tuple[str, list, list]:
    """(unit, magnitudes, coefficients) for one algebra generator."""
    base = name.split(".")[-1]
    if base in ("rot", "rx", "ry", "rz"):
        degrees = list(range(0, 181, 15))
        return "degrees", degrees, [math.radians(d) for d in degrees]
    if base in ("tx", "ty") and kind == "lattice":
        sites = list(range(size // 2 + 1))
        return "sites", sites, [2 * s / size for s in sites]
    if base in ("tx", "ty"):
        fractions = [round(0.05 * i, 2) for i in range(11)]
        return "side", fractions, [2 * f for f in fractions]  # the side spans 2 units
    if base in ("scale", "stretch", "shear"):
        factors = [round(1 + 0.1 * i, 1) for i in range(11)]
        return "factor", factors, [math.log(f) for f in factors]
    steps = [natural_range * i / 10 for i in range(11)]
    return "coefficient", steps, steps


def _discrete_grid(name: str, order: int) -> tuple[str, list[float], list[int]]:
    powers = list(range(order // 2 + 1))
    base = name.split(".")[-1]
    if base.startswith("rot"):
        return "degrees", [360 * p / order for p in powers], powers
    if base.startswith("shift"):
        return "positions", [float(p) for p in powers], powers
    return "power", [float(p) for p in powers], powers


def shift_grid(group: Group, kind: str, size: int = 0) -> list[Shift]:
    """Every (generator, magnitude) element of the robustness grid; ``size``: lattice side."""
    shifts = []
    for i, (name, natural_range) in enumerate(zip(group.lie_names, group.lie_ranges, strict=True)):
        unit, magnitudes, coefficients = _lie_grid(name, natural_range, kind, size)
        for magnitude, c in zip(magnitudes, coefficients, strict=True):
            a = torch.zeros(group.lie_dim, dtype=group.dtype)
            a[i] = c
            shifts.append(Shift(name, float(magnitude), unit, group.exp(a)))
    for name, generator, order in zip(group.discrete_names, group.discrete_generators,
                                      group.generator_orders, strict=True):  # fmt: skip
        unit, magnitudes, powers = _discrete_grid(name, order)
        for magnitude, p in zip(magnitudes, powers, strict=True):
            shifts.append(Shift(name, magnitude, unit, torch.linalg.matrix_power(generator, p)))
    return shifts


def shifted_test_set(dataset: Dataset, group: Group, shift: Shift) -> Split:
    """The test split moved by ``shift.element`` (targets too, for equivariant tasks)."""
    test = dataset.test
    return Split(
        dataset.act_inputs(group, shift.element, test.inputs),
        dataset.act_targets(group, shift.element, test.targets),
    )


def lattice_size(dataset: Dataset) -> int:
    return dataset.test.inputs.shape[-1] if dataset.kind == "lattice" else 0
