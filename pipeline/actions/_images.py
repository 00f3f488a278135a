"""Images (B, C, H, W): plane elements warp them, sign elements negate their values.

Warps resample with ``grid_sample`` (bilinear, zero padding, ``align_corners=False``). Elements
whose linear part is a signed permutation and whose translation is zero (C4, D4) map pixel
centres onto pixel centres, so they only move pixels: exact up to float rounding. Any other warp
interpolates: two warps in a row differ from one warp by the composed element by the bilinear
interpolation error, which shrinks with the square of the resolution. For smooth content (blobs a
tenth of the image wide) it stays below 1% of the image's range in the central half at 64 x 64
pixels, and about 3% at 32 x 32 (tests/actions/test_actions.py).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from pipeline.errors import NumericalBreakdown


def _normalized_to_isotropic(height: int, width: int, like: Tensor) -> Tensor:
    """Map from affine_grid's [-1, 1]^2 coordinates to coordinates with square pixels.

    The shorter side spans [-1, 1], so rotations stay rotations on non-square images.
    """
    side = min(height, width)
    return torch.diag(like.new_tensor([width / side, height / side, 1.0]))


def affine_grid(theta: Tensor, height: int, width: int) -> Tensor:
    """``F.affine_grid(theta, (B, C, height, width), align_corners=False)``, computed separably.

    An affine map of the pixel grid is a row term plus a column term, so each grid coordinate is
    one broadcast add of a (B, 1, W) and a (B, H, 1) tensor. ``F.affine_grid`` instead multiplies
    every pixel's homogeneous coordinates by theta in a batched matmul with an inner size of 3,
    forward and backward, which on CPU costs more than the resampling itself. theta: (B, 2, 3).
    """
    xs = (torch.arange(width, device=theta.device, dtype=theta.dtype) * 2 + 1) / width - 1
    ys = (torch.arange(height, device=theta.device, dtype=theta.dtype) * 2 + 1) / height - 1
    rows = theta[:, :, None, :]  # (B, 2, 1, 3): one row per output coordinate
    along_x = rows[..., 0:1] * xs + rows[..., 2:3]  # (B, 2, 1, W)
    along_y = (rows[..., 1:2] * ys).transpose(-1, -2)  # (B, 2, H, 1)
    return (along_x + along_y).permute(0, 2, 3, 1)  # (B, H, W, 2)


def warp(g: Tensor, images: Tensor, mode: str = "bilinear", padding_mode: str = "zeros") -> Tensor:
    """Move each image by its plane element: out(p) = image(g^-1 p). g: (B, 3, 3)."""
    _, _, height, width = images.shape
    s = _normalized_to_isotropic(height, width, g)
    theta = torch.linalg.inv(s) @ _inverse(g) @ s
    grid = affine_grid(theta[:, :2, :], height, width)
    return F.grid_sample(images, grid, mode=mode, padding_mode=padding_mode, align_corners=False)


def _inverse(g: Tensor) -> Tensor:
    """g^-1; NumericalBreakdown (one line, not a LinAlgError traceback) when an element is
    singular or not finite: augmentation widths that ran away scale an image to nothing."""
    inverse, info = torch.linalg.inv_ex(g)
    if bool(info.any()) or not bool(torch.isfinite(inverse).all()):
        bad = int((info != 0).sum()) or int((~torch.isfinite(inverse)).flatten(1).any(1).sum())
        raise NumericalBreakdown(
            f"{bad} of {len(g)} image warps got a singular or non-finite "
            "element (augmentation widths ran away?)"
        )
    return inverse


def negate(g: Tensor, images: Tensor) -> Tensor:
    """Multiply each image by its sign element (B, 1, 1)."""
    return images * g.reshape(-1, 1, 1, 1)
