"""Batched actions of group elements on data: ``act(group, g, x, kind)``.

Data kinds and layouts: ``image`` (B, C, H, W), ``points`` (B, n, k), ``sequence`` (B, C, N),
``lattice`` (B, L, L) or (B, C, L, L); each kind's record (``pipeline.kinds``) names the action
of each group domain on it (for the built-in kinds, the functions exported here). ``g`` is a
batch of elements (B, d, d) of ``group`` (or one (d, d) element for the whole batch); it is
cast to the data's dtype and device. For a product
group each factor (one per domain, see ``pipeline.groups.product``) acts on the aspect of the
data it moves: coordinates, point order, values or positions. These commute, so every catalog
group acts as a group action: act(g, act(h, x)) == act(g @ h, x).
"""

from __future__ import annotations

from torch import Tensor

from pipeline.actions._images import negate as negate_image
from pipeline.actions._images import warp as warp_image
from pipeline.actions._lattices import flip_spins, move_sites
from pipeline.actions._points import permute as permute_points
from pipeline.actions._points import transform as transform_points
from pipeline.actions._sequences import negate as negate_sequence
from pipeline.actions._sequences import shift as shift_sequence
from pipeline.groups import Group
from pipeline.kinds import kind_record

KINDS = ("image", "points", "sequence", "lattice")  # the built-in kinds; all: kinds.kind_names()


def act(group: Group, g: Tensor, x: Tensor, kind: str) -> Tensor:
    """Apply elements ``g`` of ``group`` to the batch ``x`` of data of ``kind``."""
    record = kind_record(kind)  # UnknownKindError, a ValueError, for an unknown kind
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
        x = record.action(factor.domain)(g[:, span, span], x)
    return x


__all__ = [
    "KINDS",
    "act",
    "flip_spins",
    "move_sites",
    "negate_image",
    "negate_sequence",
    "permute_points",
    "shift_sequence",
    "transform_points",
    "warp_image",
]
