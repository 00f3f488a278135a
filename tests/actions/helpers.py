"""Test data for actions: smooth images, band-limited sequences, spins, point clouds."""

import math

import torch


def smooth_images(n: int, size: int = 32, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    """Sums of broad Gaussian blobs near the centre, so warps interpolate well inside."""
    rng = torch.Generator().manual_seed(seed)
    coords = torch.linspace(-1, 1, size, dtype=dtype)
    y, x = torch.meshgrid(coords, coords, indexing="ij")
    centres = (torch.rand(n, 4, 2, generator=rng, dtype=dtype) - 0.5) * 0.8
    weights = torch.randn(n, 4, generator=rng, dtype=dtype)
    dist2 = (x[None, None] - centres[..., 0, None, None]) ** 2 + (
        y[None, None] - centres[..., 1, None, None]
    ) ** 2
    return (weights[..., None, None] * torch.exp(-dist2 / 0.08)).sum(1, keepdim=True)


def band_limited(n: int, channels: int, length: int, seed: int = 0) -> torch.Tensor:
    rng = torch.Generator().manual_seed(seed)
    t = torch.arange(length, dtype=torch.float64)
    out = torch.zeros(n, channels, length, dtype=torch.float64)
    for k in range(1, length // 4):
        a, b = torch.randn(2, n, channels, 1, generator=rng, dtype=torch.float64)
        out += a * torch.cos(2 * math.pi * k * t / length) + b * torch.sin(
            2 * math.pi * k * t / length
        )
    return out


def spins(n: int, size: int, seed: int = 0) -> torch.Tensor:
    rng = torch.Generator().manual_seed(seed)
    return torch.randint(0, 2, (n, size, size), generator=rng).to(torch.float32) * 2 - 1


def whole_site(elements: torch.Tensor, size: int) -> torch.Tensor:
    """Round the plane translations of lattice-group elements to whole sites (2/L units)."""
    out = elements.clone()
    out[:, :2, 2] = torch.round(out[:, :2, 2] * size / 2) * 2 / size
    return out
