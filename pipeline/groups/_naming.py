"""Names of subgroups: the catalog name of exactly the same group where one exists (same
algebra span, same discrete part), else its ``parent[...]`` form (``_subgroups``), so a name
never claims a larger group than was found. Above the catalog, which parses those forms."""

from __future__ import annotations

import torch

from pipeline.groups import _membership as mem
from pipeline.groups._catalog import UnknownGroupError, get_group
from pipeline.groups._group import Group


def subgroup_name(factor: Group, sub: Group) -> str:
    """The catalog name of exactly ``sub`` where one fits, else its ``parent[...]`` name."""
    for name in _catalog_candidates(factor, sub):
        try:
            group = get_group(name)
        except UnknownGroupError:
            continue
        if group.domain == sub.domain and group.dim == sub.dim and same_group(group, sub):
            return name
    return sub.name


def same_group(first: Group, second: Group) -> bool:
    """Equal algebra spans and each one's discrete generators inside the other."""
    if not (
        mem.span_contains(first.lie_algebra, second.lie_algebra)
        and mem.span_contains(second.lie_algebra, first.lie_algebra)
    ):
        return False
    return all(mem.contains_element(first, g) for g in second.discrete_generators) and all(
        mem.contains_element(second, g) for g in first.discrete_generators
    )


def _catalog_candidates(factor: Group, sub: Group) -> list[str]:
    """Catalog names that might be ``sub``, smallest first; the parent's own name last."""
    rank = mem.rank(mem.flat(sub.lie_algebra))
    if sub.domain == "plane":
        names = _plane_candidates(sub)
    elif sub.domain == "space":
        names = ["SO2x", "SO2y", "SO2z", "SO3", "O3"]
    elif sub.domain == "perm":
        names = [f"S{sub.dim}"]
    elif sub.domain == "circle":
        names = _shift_candidates(factor, sub)
    elif sub.domain == "sign":
        names = ["flip"]
    else:
        names = []
    return [n for n in names if _plausible_rank(n, rank)] + [factor.name]


def _plausible_rank(name: str, rank: int) -> bool:
    try:
        return get_group(name).lie_dim == rank
    except UnknownGroupError:
        return False


def _plane_candidates(sub: Group) -> list[str]:
    rotations, mirrored = 1, False
    if sub.num_discrete:
        linear = sub.discrete_elements()[:, :2, :2].to(torch.float64)
        signs = torch.linalg.det(linear)
        rotations, mirrored = int((signs > 0).sum()), bool((signs < 0).any())
    finite = f"D{rotations}" if mirrored else (f"C{rotations}" if rotations > 1 else "")
    turning = ["", "SO2", "O2", finite]
    moving = ["", "T2", "Tx", "Ty"]
    scaling = ["", "scale", "stretchx", "stretchy"]
    combos = ["*".join(p for p in (r, t, s) if p) for r in turning for t in moving for s in scaling]
    return [c for c in dict.fromkeys(combos) if c] + ["affine2"]


def _shift_candidates(factor: Group, sub: Group) -> list[str]:
    if not factor.discrete_records or sub.order is None:
        return []
    record = factor.discrete_records[0]
    length = record.step * factor.generator_orders[0]  # positions of the sequence
    if length % sub.order:
        return []
    step = length // sub.order
    return [f"shift{length}" if step == 1 else f"shift{length}by{step}"]
