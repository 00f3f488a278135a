"""Targets move with their inputs: an equivariant target is moved by the same element as x, and
targets of any size are part of what the test compares (x with its label)."""

import math

import torch

from pipeline.data import Dataset
from pipeline.discovery import TestConfig, discovery_test
from pipeline.groups import get_group

QUICK = TestConfig(epochs=15, epochs_per_probe=15, seed=0)


def _turned_hooks(seed: int, n: int = 400) -> tuple[torch.Tensor, torch.Tensor]:
    """Asymmetric 2D curves at uniformly random angles, and those angles."""
    rng = torch.Generator().manual_seed(seed)
    s = torch.linspace(0, 1, 10)
    hook = torch.stack([2 * s - 1, 0.4 * torch.sin(5 * s) + 0.3 * s], 1)
    x = hook + 0.03 * torch.randn(n, 10, 2, generator=rng)
    angle = 2 * math.pi * torch.rand(n, generator=rng)
    turn = torch.stack(
        [torch.stack([angle.cos(), -angle.sin()], -1), torch.stack([angle.sin(), angle.cos()], -1)],
        -2,
    )
    return x @ turn.transpose(1, 2), angle


def _data(x, y, seed: int, target_kind: str | None) -> Dataset:
    return Dataset.from_tensors(
        x,
        y,
        seed,
        name="hooks",
        kind="points",
        task="regression",
        metric="mse",
        metric_mode="min",
        true_group="SO2",
        target_kind=target_kind,
    )


def test_an_equivariant_target_moves_with_its_input():
    # The target is the hook's heading, a point that turns with it: (x, y) is invariant only
    # when both move. Left in place, the heading would give every move away.
    x, angle = _turned_hooks(0, n=600)  # folds: the validation split's halves
    heading = torch.stack([angle.cos(), angle.sin()], -1)[:, None]  # (n, 1, 2) points
    verdict = discovery_test(_data(x, heading, 0, "points"), get_group("SO2"), QUICK)[0]
    assert verdict.present and verdict.full


def test_a_large_invariant_target_is_compared_with_its_input():
    # 20 numbers that encode the hook's angle and stay put when x moves: x alone is invariant,
    # (x, y) is not. A test that dropped targets beyond 16 numbers would call it present.
    x, angle = _turned_hooks(1, n=600)
    code = torch.stack([angle.cos(), angle.sin()], -1).repeat(1, 10)
    config = TestConfig(epochs=30, epochs_per_probe=30, seed=0)
    verdict = discovery_test(_data(x, code, 1, None), get_group("SO2"), config)[0]
    assert not verdict.present and verdict.tv[1] > 0.5
