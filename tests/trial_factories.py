"""Datasets that make trials misbehave on purpose."""

import torch

from pipeline.data import Dataset, make_splits


def exploding(options: dict, seed: int) -> Dataset:
    """Regression targets so large that the squared error overflows float32."""
    points = torch.randn(60, 4, 2, generator=torch.Generator().manual_seed(seed))
    targets = torch.full((60,), 3e38)
    train, val, test = make_splits(points, targets, seed)
    return Dataset(
        name="exploding",
        kind="points",
        task="regression",
        metric="mse",
        metric_mode="min",
        true_group="trivial",
        train=train,
        val=val,
        test=test,
    )


def misbehaving(options: dict, seed: int) -> Dataset:
    """data_seed 0: a healthy small regression; 1: building raises; 2: the loss overflows."""
    if seed == 1:
        raise RuntimeError("deliberate failure for data_seed 1")
    if seed == 2:
        return exploding(options, seed)
    points = torch.randn(60, 4, 2, generator=torch.Generator().manual_seed(seed))
    train, val, test = make_splits(points, points.norm(dim=-1).sum(-1), seed)
    return Dataset(
        name="misbehaving",
        kind="points",
        task="regression",
        metric="mse",
        metric_mode="min",
        true_group="trivial",
        train=train,
        val=val,
        test=test,
    )


def oriented_digits(options: dict, seed: int) -> Dataset:
    """Digits turned by k quarter turns, labelled k: averaging over C4 erases the label."""
    from pipeline.data import build_dataset

    base = build_dataset({"name": "digits", "limit": int(options.get("limit", 200))}, seed)
    images = torch.cat([base.train.inputs, base.val.inputs, base.test.inputs])
    turns = torch.randint(0, 4, (len(images),), generator=torch.Generator().manual_seed(seed))
    pairs = zip(images, turns, strict=True)
    turned = torch.stack([torch.rot90(x, int(k), dims=(-2, -1)) for x, k in pairs])
    return Dataset.from_tensors(
        turned,
        turns,
        seed,
        name="oriented_digits",
        kind="image",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group="trivial",
        num_classes=4,
    )


class TinyNet(torch.nn.Module):
    """A user's own network: one hidden layer over the flattened input."""

    def __init__(self, in_features: int, hidden: int, out_features: int) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Flatten(),
            torch.nn.Linear(in_features, hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(hidden, out_features),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def tiny_net(data, options: dict) -> torch.nn.Module:
    """model: {factory: "tests.trial_factories:tiny_net", hidden: 8}; records what it was told."""
    import math

    SEEN.append(data)
    out = data.out_features if data.out_shape is None else math.prod(data.out_shape)
    return TinyNet(math.prod(data.in_shape), int(options.get("hidden", 16)), out)


SEEN: list = []  # the DataSpec of each tiny_net call, for tests


def not_a_module(data, options: dict) -> dict:
    return {"weights": []}


def wrong_outputs(data, options: dict) -> torch.nn.Module:
    """Three outputs per example whatever the task."""
    import math

    return TinyNet(math.prod(data.in_shape), 4, 3)


def raising_net(data, options: dict) -> torch.nn.Module:
    raise KeyError("hidden")
