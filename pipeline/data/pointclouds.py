"""Shapes as unordered point sets: 2D outlines or 3D surfaces, classified by shape."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from pipeline.actions import act
from pipeline.data._base import Dataset, check_range
from pipeline.groups import get_group


@dataclass(frozen=True)
class PointcloudOptions:
    dim: int = 2  # 2: outlines in the plane; 3: surfaces in space
    transform: Literal["rotate", "none"] = "rotate"  # random SO(dim) orientation, or canonical
    n_points: int = 32
    n_samples: int = 1000
    noise: float = 0.02  # Gaussian jitter of each point

    def __post_init__(self) -> None:
        if self.dim not in (2, 3):
            raise ValueError(f"dim must be 2 or 3, got {self.dim}")
        check_range("n_points", self.n_points, 3, 1024)
        check_range("n_samples", self.n_samples, 10, 100_000)
        check_range("noise", self.noise, 0, 1)


def _polygon(vertices: Tensor, t: Tensor) -> Tensor:
    """Points at fractions t in [0, 1) of the way around a closed polygon (V, 2)."""
    position = t * len(vertices)
    start = position.floor().long() % len(vertices)
    frac = (position - position.floor())[..., None]
    return vertices[start] * (1 - frac) + vertices[(start + 1) % len(vertices)] * frac


def _regular(k: int, radii: tuple[float, ...] = (1.0,)) -> Tensor:
    angles = torch.arange(k * len(radii)) * 2 * math.pi / (k * len(radii))
    r = torch.tensor(radii).repeat(k)
    return torch.stack([r * torch.cos(angles), r * torch.sin(angles)], dim=1)


def _shapes_2d(label: Tensor, t: Tensor) -> Tensor:
    """Class c of (triangle, square, pentagon, star, circle, ellipse) at outline fractions t."""
    polygons = [_regular(3), _regular(4), _regular(5), _regular(5, (1.0, 0.4))]
    out = torch.zeros(*t.shape, 2)
    for c, vertices in enumerate(polygons):
        mask = label == c
        out[mask] = _polygon(vertices, t[mask])
    angle = 2 * math.pi * t
    circle = torch.stack([torch.cos(angle), torch.sin(angle)], dim=-1)
    out[label == 4] = circle[label == 4]
    out[label == 5] = (circle * torch.tensor([1.0, 0.5]))[label == 5]
    return out


def _shapes_3d(label: Tensor, u: Tensor) -> Tensor:
    """Class c of (sphere, cube, cylinder, cone) at surface coordinates u (..., 2) in [0, 1)."""
    phi, z = 2 * math.pi * u[..., 0], 2 * u[..., 1] - 1
    ring = torch.stack([torch.cos(phi), torch.sin(phi)], dim=-1)
    sphere = torch.cat([ring * (1 - z**2).sqrt()[..., None], z[..., None]], dim=-1)
    cube = sphere / sphere.abs().amax(dim=-1, keepdim=True)  # radial projection onto the cube
    cylinder = torch.cat([ring, z[..., None]], dim=-1)
    cone = torch.cat([ring * ((1 - z) / 2)[..., None], z[..., None]], dim=-1)
    choices = torch.stack([sphere, cube, cylinder, cone])
    return choices.gather(0, label[None, ..., None].expand(1, *u.shape[:-1], 3))[0]


CLASSES = {2: 6, 3: 4}


def build(options: PointcloudOptions, seed: int) -> Dataset:
    rng = torch.Generator().manual_seed(seed)
    n, k, dim = options.n_samples, options.n_points, options.dim
    labels = torch.randint(CLASSES[dim], (n,), generator=rng)
    per_point = labels[:, None].expand(n, k)
    if dim == 2:
        points = _shapes_2d(per_point, torch.rand(n, k, generator=rng))
    else:
        points = _shapes_3d(per_point, torch.rand(n, k, 2, generator=rng))
    points = points + options.noise * torch.randn(points.shape, generator=rng)
    # Sampled positions come in random order already; the true group includes S_k.
    rotation = "SO2" if dim == 2 else "SO3"
    if options.transform == "rotate":
        group = get_group(rotation)
        points = act(group, group.sample(n, rng), points, "points")
    true_group = f"{rotation}*S{k}" if options.transform == "rotate" else f"S{k}"
    return Dataset.from_tensors(
        points,
        labels,
        seed,
        name="pointclouds",
        kind="points",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group=true_group,
        num_classes=CLASSES[dim],
        options=vars(options),
    )
