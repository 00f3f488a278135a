"""Membership from the matrices: does a group contain an algebra element or a group element?

A group is H = H0 . D: H0 = exp(span of its algebra) (the identity component) and D the finite
group its discrete generators generate. An algebra element lies in H when it lies in H's algebra
(least squares); an element g lies in H when g h^-1 lies in H0 for some h in D (D enumerated;
permutation groups are decided by Schreier-Sims instead, so S32 never has to be listed).
Whether g lies in H0 is read from a real matrix logarithm, with a few seeded Gauss-Newton
restarts where that logarithm is not the one in the span (a half turn).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

from pipeline.groups._group import MAX_ELEMENTS, Group

TOLERANCE = 1e-4  # relative: elements of float32 trials are compared with float64 groups
RESTARTS = 8


def flat(matrices: Tensor) -> np.ndarray:
    """(k, d, d) -> (k, d*d) float64 rows."""
    d = matrices.shape[-1]
    return matrices.detach().to("cpu", torch.float64).reshape(len(matrices), d * d).numpy()


def rank(rows: np.ndarray) -> int:
    """Numerical rank of a stack of flattened matrices."""
    if rows.size == 0:
        return 0
    singular = np.linalg.svd(rows, compute_uv=False)
    return int((singular > TOLERANCE * max(1.0, float(singular[0]))).sum())


def in_span(algebra: Tensor, element: Tensor) -> bool:
    """Does ``element`` (d, d) lie in the span of ``algebra`` (k, d, d)?"""
    target = flat(element[None])[0]
    scale = max(1.0, float(np.linalg.norm(target)))
    if len(algebra) == 0:
        return float(np.linalg.norm(target)) <= TOLERANCE * scale
    basis = flat(algebra).T
    coefficients, *_ = np.linalg.lstsq(basis, target, rcond=None)
    return float(np.linalg.norm(basis @ coefficients - target)) <= TOLERANCE * scale


def span_contains(outer: Tensor, inner: Tensor) -> bool:
    """Is span(inner) a subspace of span(outer)?"""
    return all(in_span(outer, m) for m in inner)


def intersection_dim(first: Tensor, second: Tensor) -> int:
    """dim(span(first) & span(second)) = rank A + rank B - rank [A; B]."""
    a, b = flat(first), flat(second)
    joined = np.concatenate([a, b]) if a.size and b.size else (a if a.size else b)
    return rank(a) + rank(b) - rank(joined)


# -- elements ---------------------------------------------------------------------------------


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return float(np.abs(a - b).max()) <= TOLERANCE * max(1.0, float(np.abs(b).max()))


def in_identity_component(group: Group, element: Tensor) -> bool:
    """Is ``element`` exp(X) for some X in the span of ``group``'s algebra?"""
    g = element.detach().to("cpu", torch.float64).numpy()
    if _close(g, np.eye(len(g))):
        return True
    if group.lie_dim == 0 or np.linalg.det(g) <= 0:  # exp never reaches det <= 0
        return False
    basis = flat(group.lie_algebra).T
    if not _in_enveloping_algebra(basis, g):
        return False
    ranges = np.asarray(group.lie_ranges, dtype=float)
    limit = 20 * max(1.0, float(ranges.max()))
    start = _log_coefficients(g, basis)
    if start is not None:  # the principal logarithm is real: it is the one to try
        return _reaches(basis, g, start, limit)
    rng = np.random.default_rng(0)  # no real principal logarithm (a half turn): search
    starts = [rng.uniform(-2, 2, group.lie_dim) * ranges for _ in range(RESTARTS)]
    return any(_reaches(basis, g, start, limit) for start in starts)


def _log_coefficients(g: np.ndarray, basis: np.ndarray) -> np.ndarray | None:
    import scipy.linalg  # only where membership is decided: keeps importing groups light

    log = scipy.linalg.logm(g)
    if np.abs(np.imag(log)).max() > TOLERANCE:
        return None
    coefficients, *_ = np.linalg.lstsq(basis, np.real(log).reshape(-1), rcond=None)
    return coefficients


def _reaches(
    basis: np.ndarray, g: np.ndarray, start: np.ndarray, limit: float, steps: int = 40
) -> bool:
    """Gauss-Newton on ||exp(sum a_i L_i) - g|| from ``start`` (central-difference Jacobian),
    given up once a coefficient passes ``limit`` (running off to infinity: no solution)."""
    d = len(g)
    algebra = basis.T.reshape(-1, d, d)
    tolerance = TOLERANCE * max(1.0, float(np.abs(g).max()))

    def residual(a: np.ndarray) -> np.ndarray:
        return (_expm(np.tensordot(a, algebra, axes=1)) - g).reshape(-1)

    a, best = np.asarray(start, dtype=float), np.inf
    for _ in range(steps):
        if float(np.abs(a).max()) > limit:
            return False
        r = residual(a)
        size = float(np.abs(r).max())
        if size <= tolerance:
            return True
        if size > 0.999 * best and size > 1e3 * tolerance:  # stalled far from g: a local minimum
            return False
        best = min(best, size)
        h = 1e-6
        jacobian = np.stack(
            [(residual(a + h * e) - residual(a - h * e)) / (2 * h) for e in np.eye(len(a))], axis=1
        )
        a = a - np.linalg.lstsq(jacobian, r, rcond=None)[0]
    return float(np.abs(residual(a)).max()) <= tolerance


def _expm(x: np.ndarray, terms: int = 20) -> np.ndarray:
    """exp of a small matrix by scaling and squaring a Taylor series (scipy's expm calls into
    threaded BLAS, which is slow for 3x3 matrices on a busy machine)."""
    norm = float(np.abs(x).sum(axis=1).max())
    squarings = max(0, int(np.ceil(np.log2(norm))) + 1) if norm > 0.5 else 0
    scaled = x / 2.0**squarings
    term, total = np.eye(len(x)), np.eye(len(x))
    for k in range(1, terms):
        term = term @ scaled / k
        total = total + term
    for _ in range(squarings):
        total = total @ total
    return total


def _in_enveloping_algebra(basis: np.ndarray, g: np.ndarray) -> bool:
    """exp(X) is a power series in X: it lies in the associative algebra that I and the span
    generate. A cheap test that rules most non-members out before any search."""
    d = len(g)
    generators = list(basis.T.reshape(-1, d, d))
    spanned = [np.eye(d)]
    frontier = [np.eye(d)]
    while frontier:
        new = []
        for m in frontier:
            for generator in generators:
                candidate = m @ generator
                if rank(np.stack([x.reshape(-1) for x in [*spanned, candidate]])) > len(spanned):
                    spanned.append(candidate)
                    new.append(candidate)
        frontier = new
    rows = np.stack([x.reshape(-1) for x in spanned])
    return rank(np.concatenate([rows, g.reshape(1, -1)])) == len(spanned)


def contains_element(group: Group, element: Tensor) -> bool:
    """Does ``group`` (one block: not a product) contain ``element`` (d, d)?"""
    if group.domain == "perm" and group.lie_dim == 0:
        return _permutation_member(group, element)
    g = element.detach().to("cpu", torch.float64)
    return any(in_identity_component(group, g @ torch.linalg.inv(h)) for h in _discrete_part(group))


def _discrete_part(group: Group) -> Tensor:
    if group.order is not None and group.order > MAX_ELEMENTS:
        raise ValueError(f"{group.name}: too large to decide membership by listing elements")
    return group.discrete_elements().to("cpu", torch.float64)


# -- permutations -----------------------------------------------------------------------------


def _as_permutation(matrix: Tensor) -> list[int] | None:
    """(P x)[i] = x[perm[i]]: the index of the one in each row; None unless a permutation."""
    m = matrix.detach().to("cpu", torch.float64)
    if not bool(((m - m.round()).abs() <= TOLERANCE).all()):
        return None
    rounded = m.round()
    ones = torch.ones(len(m), dtype=m.dtype)
    binary = bool(((rounded == 0) | (rounded == 1)).all())
    if not (binary and torch.equal(rounded.sum(0), ones) and torch.equal(rounded.sum(1), ones)):
        return None
    return rounded.argmax(dim=1).tolist()


@lru_cache(maxsize=256)
def _permutation_group(generators: tuple[tuple[int, ...], ...], n: int):
    from sympy.combinatorics import Permutation, PermutationGroup

    return PermutationGroup([Permutation(list(p)) for p in generators] or [Permutation(n - 1)])


def permutation_order(group: Group) -> int:
    """|<generators>| of a permutation group, by Schreier-Sims."""
    return int(_sympy_group(group).order())


def _sympy_group(group: Group):
    perms = tuple(tuple(_as_permutation(g)) for g in group.discrete_generators)
    return _permutation_group(perms, group.dim)


def _permutation_member(group: Group, element: Tensor) -> bool:
    from sympy.combinatorics import Permutation

    perm = _as_permutation(element)
    if perm is None or len(perm) != group.dim:
        return False
    if group.order == math.factorial(group.dim):
        return True  # the whole symmetric group
    return bool(_sympy_group(group).contains(Permutation(perm)))
