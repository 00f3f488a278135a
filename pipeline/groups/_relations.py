"""Relations between catalog groups used by the discovery readout.

``generator_in_group``: does a candidate group's generator (a one-parameter subgroup or a
discrete element) lie in another group? ``span_name``: the smallest catalog group containing a
set of active generators (a single translation is named T2, any 3D rotation SO3, stretch or shear
affine2, a cyclic subgroup of S<n> S<n>, and so on).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from pipeline.groups._group import Group

PLANE_ROTATING = {"SO2", "O2", "affine2"}


def _base(generator: str) -> str:
    """Generator name without the factor prefix that products add on clashes (C4.rot4)."""
    return generator.split(".")[-1]


def _parts(group_name: str) -> list[str]:
    return group_name.replace(" ", "").split("*")


def _finite_plane_orders(parts: list[str]) -> list[tuple[str, int]]:
    return [(p[0], int(p[1:])) for p in parts if re.fullmatch(r"[CD]\d+", p)]


def generator_in_group(generator: str, group_name: str) -> bool | None:
    """Is the named generator of a candidate group a symmetry in ``group_name``?

    None for learned generators, which are compared by principal angles instead.
    """
    name, parts = _base(generator), set(_parts(group_name))
    if re.fullmatch(r"L\d+", name):
        return None
    rules = {
        "rot": bool(parts & PLANE_ROTATING),
        "tx": bool(parts & {"T2", "affine2"}),
        "ty": bool(parts & {"T2", "affine2"}),
        "scale": bool(parts & {"scale", "affine2"}),
        "stretch": "affine2" in parts,
        "shear": "affine2" in parts,
        "mirror": "O2" in parts
        or any(kind == "D" for kind, _ in _finite_plane_orders(list(parts))),
        "inversion": "O3" in parts,
        "flip": "flip" in parts,
    }
    if name in rules:
        return rules[name]
    if name in ("rx", "ry", "rz"):
        return bool(parts & {"SO3", "O3"})
    if match := re.fullmatch(r"rot(\d+)", name):  # rotation by 2 pi / n lies in C_m iff n | m
        n = int(match.group(1))
        return bool(parts & PLANE_ROTATING) or any(
            m % n == 0 for _, m in _finite_plane_orders(list(parts))
        )
    if match := re.fullmatch(r"cycle(\d+)|swap01", name):
        return any(re.fullmatch(r"S\d+", p) for p in parts)
    if name == "shift1":
        return any(re.fullmatch(r"shift\d+", p) for p in parts)
    raise ValueError(f"no relation known for generator {generator!r}")


def span_name(group: Group, active: Iterable[str], rotation_order: dict[str, int]) -> str:
    """Name of the smallest catalog group containing the active generators of ``group``.

    ``rotation_order`` maps an active discrete rotation generator (rot<n>) to the order of the
    cyclic subgroup its mass spreads over (2 when only the half turn carries weight).
    """
    active = {_base(a) for a in active}
    pieces = []
    for factor, _ in group.blocks():
        own = active & {_base(n) for n in factor.generator_names()}
        if own:
            pieces.append(_factor_span(factor, own, rotation_order))
    return "*".join(p for p in pieces if p) or "trivial"


def _factor_span(factor: Group, active: set[str], rotation_order: dict[str, int]) -> str:
    domain = factor.domain
    if factor.learnable:
        return f"learned{len(active)}"
    if domain == "plane":
        return _plane_span(active, rotation_order)
    if domain == "space":
        return "O3" if "inversion" in active else "SO3"
    if domain == "perm":
        return f"S{factor.dim}"
    if domain == "circle":
        return f"shift{factor.generator_orders[0]}"
    if domain == "sign":
        return "flip"
    return ""


def _plane_span(active: set[str], rotation_order: dict[str, int]) -> str:
    if active & {"stretch", "shear"}:
        return "affine2"
    mirror = "mirror" in active
    orders = [rotation_order.get(a, 1) for a in active if re.fullmatch(r"rot\d+", a)]
    cyclic = math.lcm(*orders) if orders else 1
    if "rot" in active:
        rotation = "O2" if mirror else "SO2"
    elif cyclic > 1 or mirror:
        rotation = f"D{cyclic}" if mirror else f"C{cyclic}"
    else:
        rotation = ""
    translation = "T2" if active & {"tx", "ty"} else ""
    scaling = "scale" if "scale" in active else ""
    return "*".join(p for p in (rotation, translation, scaling) if p)
