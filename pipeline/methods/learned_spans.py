"""How the learned basis of a ``learned<k>`` candidate compares with the true algebra (SEMoLA's
readout): per-generator cosines, the span of the active generators (rank, principal angles) and
whether that span closes under brackets (is it a Lie algebra?)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from pipeline.groups import Group

if TYPE_CHECKING:
    from pipeline.methods.augment import LearnableAugmentation


def learned_cosines(augmentation: LearnableAugmentation, true_group: Group) -> list[float | None]:
    """Per continuous generator: for a learned one, the cosine of its angle to the true group's
    algebra in the same domain (the largest principal-angle cosine between the generator and
    that span; 0 when the true group has no algebra there); None for fixed generators."""
    cosines: list[float | None] = []
    basis = augmentation.normalized_basis().detach().cpu()  # reports: the model may be on a GPU
    start = 0
    for factor, span in augmentation.group.blocks():
        for i in range(start, start + factor.lie_dim):
            if not factor.learnable:
                cosines.append(None)
                continue
            vector = basis[i][span, span].flatten()
            cosines.append(_cosine_to_span(vector, _true_algebra(true_group, factor)))
        start += factor.lie_dim
    return cosines


def _true_algebra(true_group: Group, factor: Group) -> Tensor:
    for candidate, _ in true_group.blocks():
        if candidate.domain == factor.domain and candidate.dim == factor.dim:
            return candidate.lie_algebra.to(torch.float32).flatten(1)
    return torch.zeros(0, factor.dim * factor.dim)


def _cosine_to_span(vector: Tensor, span: Tensor) -> float:
    if len(span) == 0:
        return 0.0
    q, _ = torch.linalg.qr(span.T.to(vector))  # orthonormal basis of the span's columns
    return float((q.T @ vector).norm() / vector.norm().clamp(min=1e-12))


# -- learned spans ----------------------------------------------------------------------------

# A direction under 1% of the largest singular value of unit-norm generators is a near-copy of
# the others (cosine > 0.9999), not a new dimension.
RANK_TOLERANCE = 1e-2


@dataclass(frozen=True)
class SpanComparison:
    """The span of the active learned generators against the true algebra in their domain."""

    rank: int  # numerical rank of the active learned generators
    true_dim: int  # dimension of the true algebra there
    cosine: float  # smallest principal-angle cosine, 0 for each dimension one span lacks
    closure_residual: float  # the commutators' part outside the span; 0 for a Lie algebra

    def matches(self, threshold: float) -> bool:
        """Same dimension and every principal angle within ``threshold`` (cosine)."""
        return self.rank == self.true_dim and self.cosine >= threshold


def learned_matrices(augmentation: LearnableAugmentation) -> list[Tensor | None]:
    """Per continuous generator: a learned one's normalized (d, d) matrix within its factor's
    block, as exp uses it; None for fixed generators."""
    basis = augmentation.normalized_basis().detach().cpu()  # reports: the model may be on a GPU
    matrices: list[Tensor | None] = []
    for factor, span, indices in _continuous_blocks(augmentation.group):
        matrices += [basis[i][span, span] if factor.learnable else None for i in indices]
    return matrices


def learned_span(
    augmentation: LearnableAugmentation, true_group: Group, active: list[bool]
) -> SpanComparison | None:
    """Compare the span of the active learned generators (``active``: one flag per continuous
    generator) with the true group's algebra, factor by factor; None without learned ones."""
    matrices = learned_matrices(augmentation)
    rank = true_dim = 0
    cosines: list[float] = []
    residual = 0.0
    found = False
    for factor, _, indices in _continuous_blocks(augmentation.group):
        if not factor.learnable:
            continue
        found = True
        chosen = [matrices[i].flatten() for i in indices if active[i]]
        own = _orthonormal_rows(torch.stack(chosen) if chosen else torch.zeros(0, factor.dim**2))
        truth = _orthonormal_rows(_true_algebra(true_group, factor))
        rank, true_dim = rank + len(own), true_dim + len(truth)
        cosines += _principal_cosines(own, truth)
        residual += _closure_residual(own, factor.dim) ** 2
    if not found:
        return None
    return SpanComparison(rank, true_dim, min(cosines, default=1.0), math.sqrt(residual))


def _continuous_blocks(group: Group) -> list[tuple[Group, slice, range]]:
    """(factor, its block of the representation, its algebra generators' indices)."""
    out, start = [], 0
    for factor, span in group.blocks():
        out.append((factor, span, range(start, start + factor.lie_dim)))
        start += factor.lie_dim
    return out


def _orthonormal_rows(vectors: Tensor) -> Tensor:
    """An orthonormal basis (r, n) of the span of the rows, in float64; rows are scaled to unit
    norm first so that the rank tolerance compares directions, not sizes."""
    vectors = vectors.to(torch.float64)
    vectors = vectors[vectors.norm(dim=1) > 1e-12]
    if len(vectors) == 0:
        return vectors
    _, s, vh = torch.linalg.svd(vectors / vectors.norm(dim=1, keepdim=True), full_matrices=False)
    return vh[s > RANK_TOLERANCE * s[0]]


def _principal_cosines(a: Tensor, b: Tensor) -> list[float]:
    """Cosines of the principal angles between two spans (orthonormal rows), padded with 0 for
    each dimension the smaller span lacks."""
    shared = torch.linalg.svdvals(a @ b.T).clamp(max=1.0).tolist() if len(a) and len(b) else []
    return shared + [0.0] * (max(len(a), len(b)) - len(shared))


def _closure_residual(basis: Tensor, d: int) -> float:
    """sqrt(sum_{i<j} ||[Q_i, Q_j] - P[Q_i, Q_j]||_F^2) over an orthonormal basis Q of the span,
    P the projection onto it: how far the span is from closing under the bracket. It does not
    depend on which orthonormal basis spans the span."""
    q = basis.reshape(-1, d, d)
    total = 0.0
    for i in range(len(q)):
        for j in range(i + 1, len(q)):
            bracket = (q[i] @ q[j] - q[j] @ q[i]).flatten()
            total += float((bracket - basis.T @ (basis @ bracket)).norm() ** 2)
    return math.sqrt(total)
