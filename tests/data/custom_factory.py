"""A user dataset defined outside the package, loaded through ``factory:``
(docs/how-to/own-data.md)."""

import torch

from pipeline.data import Dataset


def make_rings(options: dict, seed: int) -> Dataset:
    """Points on one of two concentric rings; the label (which ring) is rotation-invariant."""
    n, k = options.get("n_samples", 200), options.get("n_points", 16)
    rng = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=rng)
    angles = 2 * torch.pi * torch.rand(n, k, generator=rng)
    radius = (1.0 + labels.float())[:, None]
    points = torch.stack([radius * angles.cos(), radius * angles.sin()], dim=-1)
    return Dataset.from_tensors(  # deterministic 60/20/20 splits by seed
        points,
        labels,
        seed,
        name="rings",
        kind="points",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group=f"SO2*S{k}",
        num_classes=2,
        options=options,
    )


def returns_a_list(options: dict, seed: int) -> list:
    return [1, 2, 3]


def raises(options: dict, seed: int) -> Dataset:
    raise RuntimeError("disk on fire")


def bad_group(options: dict, seed: int) -> Dataset:
    data = make_rings(options, seed)
    return Dataset(**{**data.__dict__, "true_group": "SO(2)"})


NOT_CALLABLE = 3
