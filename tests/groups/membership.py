"""Independent membership checks for catalog groups, written from the definitions.

They never call the group's own code beyond ``blocks()``, so a wrong generator or a broken exp
shows up as a failed membership instead of agreeing with itself.
"""

from __future__ import annotations

import math
import re

import torch
from torch import Tensor

from pipeline.groups import Group

ATOL = 1e-8


def _close(a: Tensor, b: Tensor, atol: float = ATOL) -> bool:
    return bool(torch.allclose(a, b.to(a.dtype), atol=atol))


def _orthogonal(m: Tensor) -> bool:
    return _close(m @ m.T, torch.eye(m.shape[0], dtype=m.dtype))


def _angle_multiple(m: Tensor, n: int) -> bool:
    angle = math.atan2(float(m[1, 0]), float(m[0, 0]))
    steps = angle * n / (2 * math.pi)
    return abs(steps - round(steps)) < 1e-6


def _rotation_multiple(m: Tensor, n: int) -> bool:
    return _orthogonal(m) and float(torch.linalg.det(m)) > 0 and _angle_multiple(m, n)


AXIS_FAMILIES = {"Tx", "Ty", "stretchx", "stretchy"}


def _axis_part(parts: set[str], g: Tensor) -> bool:
    """Tx, Ty, stretchx, stretchy (alone): one translation or one diagonal stretch."""
    (part,) = parts
    linear, shift = g[:2, :2], g[:2, 2]
    if part in ("Tx", "Ty"):
        fixed = 1 if part == "Tx" else 0
        return _close(linear, torch.eye(2)) and abs(float(shift[fixed])) < ATOL
    moved = 0 if part == "stretchx" else 1
    diagonal = _close(linear, torch.diag(torch.diagonal(linear)))
    kept = abs(float(linear[1 - moved, 1 - moved]) - 1) < ATOL
    return diagonal and kept and float(linear[moved, moved]) > 0 and _close(shift, torch.zeros(2))


def _plane(name: str, g: Tensor) -> bool:
    """Plane groups (possibly merged, e.g. T2*D4), from what each named part allows."""
    parts = set(name.split("*"))
    if parts & AXIS_FAMILIES:
        return _axis_part(parts, g)
    general = bool(parts & {"affine2"}) or any(p.startswith("learned") for p in parts)
    finite = [int(p[1:]) for p in parts if re.fullmatch(r"[CD]\d+", p)]
    any_angle = general or bool(parts & {"SO2", "O2"})
    step = math.lcm(*finite) if finite else 1
    reflections = "O2" in parts or any(re.fullmatch(r"D\d+", p) for p in parts)
    scaling = general or "scale" in parts
    translating = general or "T2" in parts

    if not _close(g[2], torch.tensor([0.0, 0.0, 1.0])):
        return False
    if not translating and not _close(g[:2, 2], torch.zeros(2)):
        return False
    linear = g[:2, :2]
    if general:
        return float(torch.linalg.det(linear)) > 0
    c = float(torch.linalg.det(linear).abs().sqrt())
    if not scaling and abs(c - 1) > ATOL:
        return False
    rotation = linear / c
    if float(torch.linalg.det(rotation)) < 0:
        if not reflections:
            return False
        rotation = rotation @ torch.diag(torch.tensor([-1.0, 1.0], dtype=g.dtype))
    return _orthogonal(rotation) and (any_angle or _angle_multiple(rotation, step))


def _space(name: str, g: Tensor) -> bool:
    if not _close(g[3], torch.tensor([0.0, 0.0, 0.0, 1.0])):
        return False
    axis = {"SO2x": 0, "SO2y": 1, "SO2z": 2, "SO3[rz]": 2}.get(name)
    if axis is not None:  # a rotation that keeps its axis where it is
        unit = torch.zeros(3, dtype=g.dtype)
        unit[axis] = 1.0
        if not _close(g[:3, :3] @ unit, unit):
            return False
    if name.startswith("learned"):
        return float(torch.linalg.det(g[:3, :3])) > 0
    if not _close(g[:3, 3], torch.zeros(3)) or not _orthogonal(g[:3, :3]):
        return False
    return name == "O3" or float(torch.linalg.det(g[:3, :3])) > 0


def _permutation(g: Tensor) -> bool:
    binary = bool(((g == 0) | (g == 1)).all())
    ones = torch.ones(g.shape[0], dtype=g.dtype)
    return binary and _close(g.sum(0), ones) and _close(g.sum(1), ones)


def _block_member(factor: Group, g: Tensor) -> bool:
    if factor.name == "affine2[rot,stretch]":  # traceless linear algebra: det 1, no translation
        linear = g[:2, :2]
        unimodular = abs(float(torch.linalg.det(linear)) - 1) < 1e-6
        fixed = _close(g[:2, 2], torch.zeros(2)) and _close(g[2], g.new_tensor([0, 0, 1]))
        return unimodular and fixed
    if factor.domain == "plane":
        return _plane(factor.name, g)
    if factor.domain == "space":
        return _space(factor.name, g)
    if factor.domain == "perm":
        return _permutation(g)
    if factor.domain == "circle":
        length, _, step = factor.name.removeprefix("shift").partition("by")
        return _rotation_multiple(g, int(length) // int(step or 1))
    if factor.domain == "sign":
        return bool((g.abs() == 1).all())
    return _close(g, torch.ones(1, 1))


def is_member(group: Group, g: Tensor) -> bool:
    """Does the single element g (d, d) belong to ``group``? Off-block entries must be zero."""
    mask = torch.zeros_like(g, dtype=torch.bool)
    for factor, span in group.blocks():
        mask[span, span] = True
        if not _block_member(factor, g[span, span]):
            return False
    return _close(g[~mask], torch.zeros_like(g[~mask]))
