"""A data-driven start for a learned basis (``learned<k>``, ``basis_init: data``).

Along which directions of the algebra are the data spread out? Moved infinitesimally along
L = sum_e c_e E_e (E_e: one free entry of the learned generators' mask), an example changes by
T(x) c, where T_e(x) = (act(exp(eps E_e), x) - act(exp(-eps E_e), x)) / (2 eps) is the tangent
action (through ``act``, so images, point clouds and sequences alike). Data that are moved by a
group, x = g z with g spread along L, vary along T(x) c: the within-class covariance Sigma of
the data holds that spread. Directions the data never move along (an upright digit's rotation)
have tangents in directions of little variance. So the start maximizes the data's variance along
the tangent per unit of movement,

    V(c) = E[(T(x) c)^T Sigma_y (T(x) c)]   over   P(c) = E[||T(x) c||^2],

the generalized eigenproblem V v = lambda P v; the k learned generators start at the k largest
eigenvectors, at unit Frobenius norm. Sigma_y never appears as a D x D matrix:
V_ab = E_i[(R_y t_ai) . (R_y t_bi)] / n_y with R_y the n_y centred examples of x_i's class.
Each class against its own covariance, not a pooled one: on shifted digits the pooled
covariance mixes every class's shape variation (slants) into the tangents of the translations
(span cosines 0.89-0.91 pooled, 0.96-0.98 per class).

Why the spread and not invariance of the data's moments: a partial symmetry (digits shifted
by a few pixels) changes the class-conditional mean and second moment at the edges of its
support about as much per unit of movement as a shear does, so a moment-invariance form
ranked a shear first; and why not the labels: a weak model tolerates moves that the data never
show (one translation and a shear, on shifted digits).
"""

from __future__ import annotations

import torch
from torch import Tensor

from pipeline.actions import act
from pipeline.groups import Group

SAMPLES = 512  # examples for the forms: a stable 6 x 6 (or 12 x 12) form in seconds
EPS = 0.02  # finite-difference step in coefficient units (a fraction of a pixel on images)
RIDGE = 1e-9  # relative floor on P's spectrum: directions that move no example are dropped


def free_directions(mask: Tensor) -> Tensor:
    """One unit matrix E_e (m, d, d) per free entry of a learned generator's ``mask`` (d, d)."""
    entries = mask.nonzero(as_tuple=False)
    directions = torch.zeros(len(entries), *mask.shape, dtype=torch.float64)
    directions[torch.arange(len(entries)), entries[:, 0], entries[:, 1]] = 1.0
    return directions


def tangent_actions(
    group: Group, kind: str, x: Tensor, directions: Tensor, eps: float = EPS
) -> Tensor:
    """T_e(x) for every direction: (m, n, D), the examples flattened (central differences)."""
    x = x.to(torch.float64)
    out = []
    for direction in directions:
        plus = torch.linalg.matrix_exp(eps * direction)
        minus = torch.linalg.matrix_exp(-eps * direction)
        moved = act(group, plus, x, kind) - act(group, minus, x, kind)
        out.append((moved / (2 * eps)).flatten(1))
    return torch.stack(out)


def spread_forms(x: Tensor, tangents: Tensor, labels: Tensor | None) -> tuple[Tensor, Tensor]:
    """(V, P), both (m, m): the data's within-class variance along the tangent and the
    examples' own movement, as quadratic forms in the direction's coefficients.

    x: (n, D) flattened examples; tangents: (m, n, D); labels: (n,) classes, or None (the data
    as one class: regression, unlabelled data)."""
    x, tangents = x.to(torch.float64), tangents.to(torch.float64)
    labels = torch.zeros(len(x), dtype=torch.long) if labels is None else labels.flatten()
    n, m = len(x), len(tangents)
    v = torch.zeros(m, m, dtype=torch.float64)
    for label in labels.unique():  # each class against its own covariance Sigma_y
        chosen = labels == label
        centred = x[chosen] - x[chosen].mean(dim=0)
        along = torch.einsum("jd,mid->mij", centred, tangents[:, chosen])  # r_j . t_ai
        v += torch.einsum("aij,bij->ab", along, along) / (len(centred) * n)
    p = torch.einsum("aid,bid->ab", tangents, tangents) / n
    return v, p


def most_spread(v: Tensor, p: Tensor, k: int) -> Tensor:
    """The k directions (k, m) with the largest generalized eigenvalues of V c = lambda P c,
    each of unit norm, searched where P is not negligible (directions that move nothing come
    last)."""
    values, vectors = torch.linalg.eigh(p)
    keep = values > RIDGE * values.max().clamp(min=1e-300)
    whiten = vectors[:, keep] / values[keep].sqrt()  # W^T P W = I
    _, inner = torch.linalg.eigh(whiten.T @ v @ whiten)  # ascending
    chosen = (whiten @ inner.flip(1)[:, :k]).T
    if len(chosen) < k:  # fewer moving directions than generators: pad with the others
        chosen = torch.cat([chosen, vectors[:, ~keep].T[: k - len(chosen)]])
    return chosen / chosen.norm(dim=1, keepdim=True).clamp(min=1e-300)


def data_start(
    group: Group,
    kind: str,
    mask: Tensor,
    learned: Tensor,
    inputs: Tensor,
    labels: Tensor | None,
    generator: torch.Generator,
) -> Tensor:
    """Unit-norm starts (D, d, d) for the generators flagged in ``learned`` (bool, one per
    algebra generator; the others are zero), from up to SAMPLES of ``inputs``. Generators
    sharing one mask (one learned factor) start at that factor's most spread directions, in
    order."""
    index = torch.randperm(len(inputs), generator=generator)[:SAMPLES]
    x = inputs[index]
    y = labels[index] if labels is not None else None
    start = torch.zeros(mask.shape, dtype=torch.float64)
    remaining = learned.nonzero().flatten().tolist()
    while remaining:
        shared = [i for i in remaining if torch.equal(mask[i], mask[remaining[0]])]
        directions = free_directions(mask[shared[0]])
        tangents = tangent_actions(group, kind, x, directions)
        v, p = spread_forms(x.flatten(1), tangents, y)
        coefficients = most_spread(v, p, len(shared))
        start[shared] = torch.einsum("km,mij->kij", coefficients, directions)
        remaining = [i for i in remaining if i not in shared]
    return start
