"""Data and groups from outside the package, for the axis-subgroup and bring-your-own tests."""

import math

import torch

from pipeline.data import Dataset


def rods_spun_about_z(options: dict, seed: int) -> Dataset:
    """3D points on an upright rod, a lying rod or a flat disk, each spun about z only.

    The class says how the shape sits relative to the z axis, so rotations about z keep it and
    rotations about x or y change it (an upright rod tipped by 90 degrees is a lying one).
    """
    n, k = options.get("n_samples", 600), options.get("n_points", 16)
    rng = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 3, (n,), generator=rng)
    t = 2 * torch.rand(n, k, generator=rng) - 1
    angle = math.pi * t
    rod_up = torch.stack([torch.zeros_like(t), torch.zeros_like(t), t], dim=-1)
    rod_lying = torch.stack([t, torch.zeros_like(t), torch.zeros_like(t)], dim=-1)
    radius = torch.rand(n, k, generator=rng).sqrt()
    disk = torch.stack([radius * angle.cos(), radius * angle.sin(), torch.zeros_like(t)], dim=-1)
    points = torch.stack([rod_up, rod_lying, disk])[labels, torch.arange(n)]
    points = points + 0.03 * torch.randn(points.shape, generator=rng)
    spin = 2 * math.pi * torch.rand(n, generator=rng)
    c, s = spin.cos(), spin.sin()
    x, y = points[..., 0], points[..., 1]
    points = torch.stack([c[:, None] * x - s[:, None] * y, s[:, None] * x + c[:, None] * y,
                          points[..., 2]], dim=-1)  # fmt: skip
    return Dataset.from_tensors(
        points, labels, seed, name="rods", kind="points", task="classification",
        metric="accuracy", metric_mode="max", true_group=f"SO2z*S{k}", num_classes=3,
        options=options,
    )  # fmt: skip
