"""Relations between groups, decided from their matrices, used by the discovery readout.

``generator_in_group``: does a candidate group's generator (a one-parameter subgroup or a
discrete element) lie in another group? ``element_in_group``: does one element? ``span_name``:
the name of exactly the group the active generators span (a catalog name where one fits, else a
generated ``parent[generators]`` name). ``discovery_matches``: did the active generators find
exactly the part of the candidate that lies in the true group?

Blocks are matched by domain and size: a candidate's plane block is compared with the true
group's plane block; where the true group has none, it acts trivially there.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import torch
from torch import Tensor

from pipeline.groups import _membership as mem
from pipeline.groups._catalog import UnknownGroupError, get_group
from pipeline.groups._group import Group
from pipeline.groups._naming import subgroup_name
from pipeline.groups._subgroups import subgroup

FactorNames = tuple[Group, slice, tuple[str, ...], tuple[str, ...]]


def _factor_generators(group: Group) -> Iterator[FactorNames]:
    """(factor, its block, its generators' names in ``group``: algebra, discrete) per factor."""
    lie, discrete = 0, 0
    for factor, span in group.blocks():
        yield (
            factor,
            span,
            group.lie_names[lie : lie + factor.lie_dim],
            group.discrete_names[discrete : discrete + factor.num_discrete],
        )
        lie, discrete = lie + factor.lie_dim, discrete + factor.num_discrete


def exact(group: Group) -> Group:
    """The float64 group of the same name where it rebuilds to the same generators (a trial's
    float32 copy of C360 would drift in its powers), else ``group`` in float64."""
    domain = "space" if any(f.learnable and f.dim == 4 for f, _ in group.blocks()) else "plane"
    try:
        rebuilt = get_group(group.name, learned_domain=domain)
    except (UnknownGroupError, ValueError):
        rebuilt = None
    same = rebuilt is not None and rebuilt.generator_names() == group.generator_names()
    if same and rebuilt.dim == group.dim and not rebuilt.learnable:
        return rebuilt
    return group.to(device="cpu", dtype=torch.float64)


def matching_block(group: Group, factor: Group) -> Group | None:
    """``group``'s block acting on what ``factor`` acts on (same domain and size), if any."""
    for block, _ in group.blocks():
        if block.domain == factor.domain and block.dim == factor.dim:
            return block
    return None


def _block_contains(target: Group | None, element: Tensor) -> bool:
    if target is None:  # the group acts trivially on this block
        eye = torch.eye(len(element), dtype=element.dtype, device=element.device)
        return bool(torch.allclose(element, eye, atol=mem.TOLERANCE))
    return mem.contains_element(target, element)


def generator_in_group(group: Group, generator: str, other: Group) -> bool | None:
    """Does ``other`` contain ``group``'s named generator (its whole one-parameter subgroup, or
    the discrete element)? None for learned generators, compared by principal angles instead."""
    group, other = exact(group), exact(other)
    for factor, _, lie_names, discrete_names in _factor_generators(group):
        target = matching_block(other, factor)
        if generator in lie_names:
            if factor.learnable:
                return None
            algebra = target.lie_algebra if target is not None else factor.lie_algebra[:0]
            return mem.in_span(algebra, factor.lie_algebra[lie_names.index(generator)])
        if generator in discrete_names:
            element = factor.discrete_generators[discrete_names.index(generator)]
            return _block_contains(target, element)
    raise ValueError(f"{group.name} has no generator {generator!r}")


def element_in_group(group: Group, element: Tensor, other: Group) -> bool:
    """Does ``other`` contain ``element``, given in ``group``'s representation?"""
    other = exact(other)
    return all(
        _block_contains(matching_block(other, factor), element[span, span])
        for factor, span in group.blocks()
    )


# -- the span of the active generators --------------------------------------------------------


def _active_parts(
    factor: Group,
    lie_names: tuple[str, ...],
    discrete_names: tuple[str, ...],
    active: set[str],
    orders: dict[str, int],
) -> tuple[list[int], list[tuple[int, int]]]:
    """Active algebra indices, and (index, power) of the active discrete elements: a generator
    of order n whose mass spreads over a cyclic subgroup of order m contributes g^(n/m)."""
    lie = [i for i, name in enumerate(lie_names) if name in active]
    discrete = []
    for j, name in enumerate(discrete_names):
        order, spread = factor.generator_orders[j], orders.get(name, factor.generator_orders[j])
        if name in active and spread > 1:
            discrete.append((j, order // math.gcd(order, spread)))
    return lie, discrete


def span_name(
    group: Group, active: Iterable[str], orders: dict[str, int], turns: dict[str, int] | None = None
) -> str:
    """Name of exactly the group the ``active`` generators of ``group`` span.

    ``orders`` maps an active discrete generator to the order of the cyclic subgroup its mass
    spreads over (2 when only the half turn of a rot4 carries weight); missing: its own order.
    ``turns`` maps an inactive periodic algebra generator L (a rotation) to the order m of the
    finite subgroup of its circle found instead, generated by exp(2 pi L / m) (C3 in SO2).
    """
    active, pieces, turns = set(active), [], turns or {}
    group = exact(group)
    for factor, _, lie_names, discrete_names in _factor_generators(group):
        lie, discrete = _active_parts(factor, lie_names, discrete_names, active, orders)
        cyclic = tuple(
            (i, turns[name])
            for i, name in enumerate(lie_names)
            if name in turns and name not in active and turns[name] > 1
        )
        if not lie and not discrete and not cyclic:
            continue
        if factor.learnable:
            pieces.append(f"learned{len(lie)}")
            continue
        pieces.append(
            subgroup_name(factor, subgroup(factor, bracket_closure(factor, lie), discrete, cyclic))
        )
    return "*".join(pieces) or "trivial"


def bracket_closure(factor: Group, lie: list[int]) -> list[int]:
    """The fewest of ``factor``'s algebra generators whose span holds ``lie`` and is closed
    under Lie brackets: one-parameter symmetries generate the group their algebra's closure
    exponentiates to (a rotation and a translation generate SE(2), with the other translation;
    a rotation and a symmetric shear bring in the stretch). Each bracket outside the span adds
    the generators it has a component on, until none is outside."""
    basis = factor.lie_algebra.to(torch.float64)
    chosen = sorted(set(lie))
    grown = True
    while grown:
        grown = False
        span = basis[chosen]
        for i in chosen:
            for j in chosen:
                if j <= i:
                    continue
                bracket = basis[i] @ basis[j] - basis[j] @ basis[i]
                if mem.in_span(span, bracket):
                    continue
                added = _components(basis, bracket) - set(chosen)
                if added:
                    chosen, grown = sorted(set(chosen) | added), True
                    break
            if grown:
                break
    return chosen


def _components(basis: Tensor, element: Tensor) -> set[int]:
    """Indices of the basis generators ``element`` has a component on (least squares)."""
    rows = torch.from_numpy(mem.flat(basis)).T
    target = torch.from_numpy(mem.flat(element[None])[0])
    coefficients = torch.linalg.lstsq(rows, target[:, None]).solution[:, 0]
    scale = max(1.0, float(coefficients.abs().max()))
    return {int(i) for i in (coefficients.abs() > mem.TOLERANCE * scale).nonzero().flatten()}


def discovery_matches(
    group: Group, active: Iterable[str], orders: dict[str, int], true_group: Group
) -> bool:
    """Do the active fixed generators span exactly the part of ``group`` inside ``true_group``?

    Algebra: the active span lies in the true algebra and has the dimension of the candidate's
    algebra intersected with it. Discrete: each generator g of order n spreads over exactly the
    largest cyclic subgroup <g^k> inside the true group. Learned factors are skipped (they are
    compared by principal angles).
    """
    active, group, true_group = set(active), exact(group), exact(true_group)
    for factor, _, lie_names, discrete_names in _factor_generators(group):
        if factor.learnable:
            continue
        target = matching_block(true_group, factor)
        true_algebra = target.lie_algebra if target is not None else factor.lie_algebra[:0]
        lie, _ = _active_parts(factor, lie_names, discrete_names, active, orders)
        found = factor.lie_algebra[bracket_closure(factor, lie)]  # the group they generate
        if not mem.span_contains(true_algebra, found):
            return False
        if mem.rank(mem.flat(found)) != mem.intersection_dim(factor.lie_algebra, true_algebra):
            return False
        for j, name in enumerate(discrete_names):
            spread = orders.get(name, factor.generator_orders[j]) if name in active else 1
            if spread != _largest_inside(factor, j, target):
                return False
    return True


def _largest_inside(factor: Group, j: int, target: Group | None) -> int:
    """Order of the largest cyclic subgroup <g^k> of <g> (g: discrete generator j) in target."""
    order, g = factor.generator_orders[j], factor.discrete_generators[j]
    for k in (k for k in range(1, order + 1) if order % k == 0):
        if _block_contains(target, torch.linalg.matrix_power(g, k)):
            return order // k
    return 1
