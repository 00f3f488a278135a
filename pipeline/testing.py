"""Equivariance assertions for tests: a model's symmetry checked in a few lines.

>>> import torch
>>> from pipeline.groups import get_group
>>> from pipeline.testing import assert_invariant
>>> norms = lambda pts: pts.norm(dim=-1).sort(dim=-1).values
>>> assert_invariant(norms, get_group("SO3*S5"), "points", torch.randn(4, 5, 3))
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from pipeline.actions import act
from pipeline.groups import Group

Action = str | Callable[[Tensor, Tensor], Tensor]

# Finite groups up to this order are checked on every element, larger ones on samples.
EXHAUSTIVE_ORDER = 256


def assert_equivariant(
    f: Callable[[Tensor], Tensor],
    group: Group,
    action_in: Action,
    action_out: Action | None,
    x: Tensor,
    *,
    elements: Tensor | None = None,
    n_samples: int = 16,
    generator: torch.Generator | None = None,
    atol: float = 1e-5,
    rtol: float = 1e-4,
) -> float:
    """Assert f(g . x) == g . f(x) for elements g of ``group``; return the largest error.

    ``action_in`` / ``action_out`` are data kinds (``image``, ``points``, ``sequence``,
    ``lattice``: the group acts through ``pipeline.actions.act``) or callables ``(g, x) -> x``
    with g of shape (B, d, d); ``action_out=None`` asserts invariance. Unless ``elements`` is
    given, finite groups of order <= 256 are checked on all their elements and other groups on
    ``n_samples`` elements drawn with ``generator`` (seed 0 by default). Each element is applied
    to the whole batch ``x``.
    """
    with torch.no_grad():
        return _worst_error(
            f, group, action_in, action_out, x, elements, n_samples, generator, atol, rtol
        )


def _worst_error(f, group, action_in, action_out, x, elements, n_samples, generator, atol, rtol):
    apply_in, apply_out = _as_action(group, action_in), _as_action(group, action_out)
    candidates = _elements_to_check(group, elements, n_samples, generator)
    fx = f(x)
    worst = 0.0
    for index, element in enumerate(candidates):
        g = element.expand(x.shape[0], *element.shape)
        moved_then_f = f(apply_in(g, x))
        f_then_moved = apply_out(g.to(fx.device), fx)
        error = (moved_then_f - f_then_moved).abs()
        allowed = atol + rtol * f_then_moved.abs()
        worst = max(worst, float(error.max()))
        if bool((error > allowed).any()):
            what = "invariant" if action_out is None else "equivariant"
            raise AssertionError(
                f"f is not {what} under {group.name}: element {index} of {len(candidates)} "
                f"gives max |difference| {float(error.max()):.3g} (atol {atol}, rtol {rtol})\n"
                f"element:\n{element}"
            )
    return worst


def assert_invariant(
    f: Callable[[Tensor], Tensor], group: Group, action_in: Action, x: Tensor, **options: object
) -> float:
    """Assert f(g . x) == f(x); the options are those of ``assert_equivariant``."""
    return assert_equivariant(f, group, action_in, None, x, **options)  # type: ignore[arg-type]


def _as_action(group: Group, action: Action | None) -> Callable[[Tensor, Tensor], Tensor]:
    if action is None:
        return lambda g, y: y
    if isinstance(action, str):
        kind = action
        return lambda g, y: act(group, g, y, kind)
    return action


def _elements_to_check(
    group: Group, elements: Tensor | None, n_samples: int, generator: torch.Generator | None
) -> Tensor:
    if elements is not None:
        return elements
    if group.is_finite and group.order is not None and group.order <= EXHAUSTIVE_ORDER:
        return group.elements()
    return group.sample(n_samples, generator or torch.Generator().manual_seed(0))
