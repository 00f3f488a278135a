"""Batched actions of group elements on data: ``act(group, g, x, kind)``.

Data kinds and layouts: ``image`` (B, C, H, W), ``points`` (B, n, k), ``sequence`` (B, C, N),
``lattice`` (B, L, L) or (B, C, L, L). ``g`` is a batch of elements (B, d, d) of ``group`` (or
one (d, d) element for the whole batch); it is cast to the data's dtype and device. For a product
group each factor (one per domain, see ``pipeline.groups.product``) acts on the aspect of the
data it moves: coordinates, point order, values or positions. These commute, so every catalog
group acts as a group action: act(g, act(h, x)) == act(g @ h, x).
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from pipeline.actions import _images, _lattices, _points, _sequences
from pipeline.groups import Group

KINDS = ("image", "points", "sequence", "lattice")
Action = Callable[[Tensor, Tensor], Tensor]


def _identity(g: Tensor, x: Tensor) -> Tensor:
    return x


ACTIONS: dict[tuple[str, str], Action] = {
    ("plane", "image"): _images.warp,
    ("sign", "image"): _images.negate,
    ("plane", "points"): _points.transform,
    ("space", "points"): _points.transform,
    ("perm", "points"): _points.permute,
    ("circle", "sequence"): _sequences.shift,
    ("sign", "sequence"): _sequences.negate,
    ("plane", "lattice"): _lattices.move_sites,
    ("sign", "lattice"): _lattices.flip_spins,
    **{("none", kind): _identity for kind in KINDS},
}


def act(group: Group, g: Tensor, x: Tensor, kind: str) -> Tensor:
    """Apply elements ``g`` of ``group`` to the batch ``x`` of data of ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"unknown data kind {kind!r}; expected one of {', '.join(KINDS)}")
    if kind not in group.acts_on:
        raise ValueError(
            f"group {group.name} does not act on {kind} data "
            f"(it acts on: {', '.join(sorted(group.acts_on))})"
        )
    g = g.to(device=x.device, dtype=x.dtype if x.is_floating_point() else g.dtype)
    if g.dim() == 2:
        g = g.expand(x.shape[0], *g.shape)
    if g.shape[0] != x.shape[0] or g.shape[-1] != group.dim:
        raise ValueError(
            f"expected {x.shape[0]} elements of shape ({group.dim}, {group.dim}), "
            f"got {tuple(g.shape)}"
        )
    for factor, span in group.blocks():
        x = ACTIONS[(factor.domain, kind)](g[:, span, span], x)
    return x


__all__ = ["ACTIONS", "KINDS", "act"]
