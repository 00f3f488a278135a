"""Spin lattices (B, L, L) or (B, C, L, L) with periodic boundaries.

Plane elements move sites with the same geometry as image warps (site centres at affine_grid's
pixel centres), rounded to the nearest site and wrapped around the torus. For the lattice's own
symmetries (C4/D4 elements, whole-site translations: a translation of 2/L in affine_grid units is
one site) this is an exact permutation of sites; the rounding makes it non-differentiable in the
element, so the learnable augmentation (``pipeline.methods.augment``) learns lattice translations as
logits over whole-site shifts rather than as continuous widths. Sign elements flip every spin.
"""

from __future__ import annotations

import torch
from torch import Tensor


def move_sites(g: Tensor, spins: Tensor) -> Tensor:
    """out(p) = spins(g^-1 p) on the periodic L x L lattice. g: (B, 3, 3)."""
    size = spins.shape[-1]
    if spins.shape[-2] != size:
        raise ValueError(f"lattices must be square, got {tuple(spins.shape[-2:])}")
    centres = (2 * torch.arange(size, device=spins.device, dtype=g.dtype) + 1) / size - 1
    y, x = torch.meshgrid(centres, centres, indexing="ij")
    sites = torch.stack([x, y, torch.ones_like(x)], dim=-1).reshape(-1, 3)  # (L*L, 3)
    source = sites @ torch.linalg.inv(g).transpose(-1, -2)  # (B, L*L, 3)
    index = torch.round(((source[..., :2] + 1) * size - 1) / 2).long() % size
    flat = index[..., 1] * size + index[..., 0]  # row-major site number
    spins_flat = spins.reshape(*spins.shape[:-2], size * size)
    if spins.dim() == 4:
        flat = flat[:, None, :].expand(-1, spins.shape[1], -1)
    return torch.gather(spins_flat, -1, flat).reshape(spins.shape)


def flip_spins(g: Tensor, spins: Tensor) -> Tensor:
    shape = (-1,) + (1,) * (spins.dim() - 1)
    return spins * g.reshape(shape)
