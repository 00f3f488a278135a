"""Point clouds (B, n, k): plane/space elements move coordinates, perm elements reorder points."""

from __future__ import annotations

from torch import Tensor


def transform(g: Tensor, points: Tensor) -> Tensor:
    """x -> A x + t for homogeneous g (B, k+1, k+1) and points (B, n, k)."""
    k = g.shape[-1] - 1
    if points.shape[-1] != k:
        raise ValueError(
            f"a {k}-dimensional group cannot move points with {points.shape[-1]} coordinates"
        )
    linear, translation = g[:, :k, :k], g[:, :k, k]
    return points @ linear.transpose(-1, -2) + translation[:, None, :]


def permute(g: Tensor, points: Tensor) -> Tensor:
    """Reorder the n points: (P x)[i] = x[j] where P[i, j] = 1. g: (B, n, n)."""
    if points.shape[-2] != g.shape[-1]:
        raise ValueError(
            f"S{g.shape[-1]} permutes {g.shape[-1]} points, the cloud has {points.shape[-2]}"
        )
    return g @ points
