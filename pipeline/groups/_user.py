"""Bring your own group: ``package.module:function`` returning a ``pipeline.groups.Group``.

The function takes no arguments and returns one group on one domain (combine it with catalog
groups by ``*``). It is checked before any training: shapes and domain, finite matrices, each
discrete generator's order, a finite discrete part, natural ranges, the kinds it acts on, and
the homogeneous form of plane and space matrices. Every problem is one line naming the factory.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import torch

from pipeline._util.factories import import_function
from pipeline.groups import _membership as mem
from pipeline.groups._group import Group
from pipeline.kinds import moved_by

# The size of each domain's matrices (perm: any n); the data kinds each can act on are those
# whose records name an action of the domain (``pipeline.kinds.moved_by``).
DOMAIN_DIMS = {"plane": 3, "space": 4, "circle": 2, "sign": 1, "perm": None}
FACTORY = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")
NAME = re.compile(r"[A-Za-z_][\w.]*")
FINITE_LIMIT = 8192  # the largest discrete part a factory group may have (that of D4096)


class GroupFactoryError(ValueError):
    """A group factory that cannot be imported, fails, or returns an unusable group."""


def is_factory(name: str) -> bool:
    return ":" in name


def load_group(path: str) -> Group:
    """Import and call the factory, check its group, and name it by ``path``."""
    if not FACTORY.fullmatch(path):
        raise GroupFactoryError(
            f"group factory must look like 'package.module:function', got {path!r}"
        )
    factory = import_function(path, "group factory", GroupFactoryError)
    try:
        group = factory()
    except Exception as error:  # a user's code: one line, naming the factory
        raise GroupFactoryError(
            f"group factory {path!r} failed: {type(error).__name__}: {error}"
        ) from None
    try:
        check_group(group)
    except ValueError as error:
        raise GroupFactoryError(f"group factory {path!r}: {error}") from None
    description = group.description or group.name
    return replace(group, name=path, description=description)


def check_group(group: object) -> None:
    """Raise ValueError (one line) unless ``group`` is a usable one-domain group."""
    if not isinstance(group, Group):
        raise ValueError(f"returned {type(group).__name__}, expected pipeline.groups.Group")
    if group.factors:
        raise ValueError("returned a product; return one group and combine with '*' instead")
    if group.learnable:
        raise ValueError("learnable groups come from learned<k>, not from a factory")
    _check_domain(group)
    _check_names(group)
    _check_matrices(group)
    _check_orders(group)
    _check_finite_part(group)


def _check_domain(group: Group) -> None:
    if group.domain not in DOMAIN_DIMS:
        raise ValueError(f"domain must be one of {', '.join(DOMAIN_DIMS)}, got {group.domain!r}")
    expected = DOMAIN_DIMS[group.domain]
    if expected is not None and group.dim != expected:
        raise ValueError(
            f"{group.domain} groups use {expected}x{expected} matrices, got {group.dim}x{group.dim}"
        )
    kinds, moved = set(group.acts_on), moved_by(group.domain)
    if not kinds or not kinds <= moved:
        allowed = ", ".join(sorted(moved))
        raise ValueError(
            f"acts_on must be a non-empty set of {allowed} for a {group.domain} "
            f"group, got {sorted(kinds)}"
        )


def _check_names(group: Group) -> None:
    names = group.generator_names()
    bad = [n for n in names if not isinstance(n, str) or not NAME.fullmatch(n)]
    if bad:
        raise ValueError(f"generator name {bad[0]!r}: use letters, digits, '_' and '.'")
    if len(set(names)) != len(names):
        raise ValueError(f"generator names must be distinct, got {', '.join(names)}")
    for name, r in zip(group.lie_names, group.lie_ranges, strict=True):
        if not (isinstance(r, int | float) and math.isfinite(r) and r > 0):
            raise ValueError(f"natural range of {name!r} must be a positive number, got {r!r}")


def _check_matrices(group: Group) -> None:
    for label, matrices in (
        ("lie_algebra", group.lie_algebra),
        ("discrete_generators", group.discrete_generators),
    ):
        if not matrices.is_floating_point() or not bool(torch.isfinite(matrices).all()):
            raise ValueError(f"{label} must hold finite floating-point numbers")
    if group.domain in ("plane", "space"):
        d = group.dim
        bottom = torch.zeros(d, dtype=group.dtype)
        if group.lie_dim and not bool((group.lie_algebra[:, d - 1] == 0).all()):
            raise ValueError(
                "plane and space algebra elements need a zero bottom row (homogeneous coordinates)"
            )
        bottom[-1] = 1
        if group.num_discrete and not bool((group.discrete_generators[:, d - 1] == bottom).all()):
            raise ValueError("plane and space group elements need the bottom row (0, ..., 0, 1)")
    if group.domain == "perm" and any(
        mem._as_permutation(g) is None for g in group.discrete_generators
    ):
        raise ValueError("perm generators must be permutation matrices")
    if group.lie_dim and group.domain in ("perm", "circle", "sign"):
        raise ValueError(f"{group.domain} groups are finite: give no lie_algebra")
    if group.lie_dim and mem.rank(mem.flat(group.lie_algebra)) < group.lie_dim:
        raise ValueError("the lie_algebra generators must be linearly independent")


def _check_orders(group: Group) -> None:
    for name, g, order in zip(
        group.discrete_names, group.discrete_generators, group.generator_orders, strict=True
    ):
        if not isinstance(order, int) or order < 1:
            raise ValueError(f"order of {name!r} must be a positive integer, got {order!r}")
        if not _is_identity(torch.linalg.matrix_power(g.to(torch.float64), order)):
            raise ValueError(
                f"{name!r} is declared of order {order}, but {name}^{order} is not the identity"
            )
        for p in (p for p in range(2, order + 1) if order % p == 0 and _prime(p)):
            if _is_identity(torch.linalg.matrix_power(g.to(torch.float64), order // p)):
                raise ValueError(
                    f"{name!r} is declared of order {order}, but "
                    f"{name}^{order // p} is already the identity"
                )


def _check_finite_part(group: Group) -> None:
    if group.domain == "perm":
        size = mem.permutation_order(group) if group.num_discrete else 1
    else:
        size = _bounded_order(group.discrete_generators.to(torch.float64), FINITE_LIMIT)
        if size is None:
            raise ValueError(
                f"the discrete generators generate more than {FINITE_LIMIT} "
                "elements (or an infinite group)"
            )
    if group.lie_dim and group.order is not None:
        raise ValueError("a group with a lie_algebra is continuous: order must be None")
    if not group.lie_dim and group.order != size:
        raise ValueError(
            f"order must be {size}, the number of elements the discrete "
            f"generators generate, got {group.order!r}"
        )


def _bounded_order(generators: torch.Tensor, limit: int) -> int | None:
    """Size of the group the generators generate, or None past ``limit`` elements."""
    d = generators.shape[-1]
    identity = torch.eye(d, dtype=generators.dtype)
    found, frontier = {_key(identity)}, [identity]
    while frontier:
        products = (torch.stack(frontier)[:, None] @ generators[None]).reshape(-1, d, d)
        frontier = []
        for g in products:
            if _key(g) not in found:
                found.add(_key(g))
                frontier.append(g)
        if len(found) > limit:
            return None
    return len(found)


def _key(m: torch.Tensor) -> bytes:
    return torch.round(m * 1e6).to(torch.int64).numpy().tobytes()


def _is_identity(m: torch.Tensor) -> bool:
    return bool(torch.allclose(m, torch.eye(len(m), dtype=m.dtype), atol=mem.TOLERANCE))


def _prime(p: int) -> bool:
    return p > 1 and all(p % q for q in range(2, math.isqrt(p) + 1))
