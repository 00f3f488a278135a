"""The averaged predictor, metrics and the weak equivariance ratio."""

import torch
from torch import nn

from pipeline.groups import get_group
from pipeline.symmetrize import Averaging, Task, equivariance_error, predict, score

POINTS_OUT = Task("points", "regression", "mse", "points")


def sampler_for(group, seed=0):
    rng = torch.Generator().manual_seed(seed)
    return lambda j, n: group.sample(n, rng).to(torch.float32)


def test_averaging_maps_equivariant_outputs_back():
    group = get_group("O2")
    x = torch.randn(6, 4, 2)
    averaged = predict(nn.Identity(), group, POINTS_OUT, x, Averaging(5, sampler_for(group)))
    assert torch.allclose(averaged, x, atol=1e-5)  # g^-1 (g x) = x for every sample


def test_averaging_over_the_whole_group_makes_a_model_invariant():
    group = get_group("C4")
    task = Task("image", "classification", "accuracy", None)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 3))
    x = torch.randn(5, 1, 8, 8)
    elements = group.elements().to(torch.float32)
    every_element = Averaging(4, lambda j, n: elements[j].expand(n, 3, 3))
    h = predict(model, group, task, x, every_element)
    turned = torch.rot90(x, 1, dims=(2, 3))
    assert torch.allclose(predict(model, group, task, turned, every_element), h, atol=1e-5)


def test_metrics():
    classification = Task("image", "classification", "accuracy", None)
    assert (
        score(classification, torch.tensor([[0.9, 0.1], [0.2, 0.8]]), torch.tensor([0, 0])) == 0.5
    )
    regression = Task("lattice", "regression", "mse", None)
    assert score(regression, torch.tensor([[1.0], [3.0]]), torch.tensor([1.0, 1.0])) == 2.0
    generation = Task("lattice", "generation", "energy_per_site", "lattice")
    board = (torch.arange(4)[:, None] + torch.arange(4)[None]) % 2 * 2.0 - 1
    assert score(generation, board[None], board[None]) == -2.0


def test_equivariance_ratio_is_below_one_when_averaging_helps():
    group = get_group("SO2")
    task = Task("points", "regression", "mse", None)
    model = nn.Sequential(nn.Flatten(), nn.Linear(10, 1))
    x = torch.randn(64, 5, 2)
    averaged = lambda y: predict(model, group, task, y, Averaging(64, sampler_for(group, 1)))  # noqa: E731
    ratio, plain = equivariance_error(
        model, task, group, x, averaged, torch.Generator().manual_seed(2)
    )
    assert 0 <= ratio < 0.2 and plain > 0.01


def test_no_ratio_for_trivial_groups_or_exactly_symmetric_models():
    task = Task("points", "regression", "mse", None)
    x = torch.randn(8, 5, 2)
    norm = lambda pts: pts.norm(dim=-1).sum(-1, keepdim=True)  # noqa: E731
    rng = torch.Generator().manual_seed(0)
    assert equivariance_error(norm, task, get_group("trivial"), x, norm, rng) == (None, None)
    assert equivariance_error(norm, task, get_group("SO2"), x, norm, rng)[0] is None


# -- averaging complexity -----------------------------------------------------------------------

import math  # noqa: E402

import pytest  # noqa: E402

from pipeline.symmetrize import averaging_samples, effective_order, group_averaging  # noqa: E402


@pytest.mark.parametrize(("name", "tolerance", "k"), [
    ("shift32", 0.0, 32), ("shift32", 0.2, 32),
    ("shift512", 0.1, math.ceil(8 / 3 * math.log(512) / 0.1)),
    ("C8", 0.0, 8), ("trivial", 0.1, 1), ("SO2", 0.5, math.ceil(8 / 3 * math.log(360) / 0.5)),
    ("SO2", 0.0, 360), ("affine2", 0.0, 4096),
])  # fmt: skip
def test_tolerance_sets_k_by_the_averaging_complexity(name, tolerance, k):
    assert averaging_samples(get_group(name), tolerance) == k


def test_effective_order_of_continuous_groups():
    assert effective_order(get_group("SO2")) == 360
    assert effective_order(get_group("O2")) == 720
    assert effective_order(get_group("D4")) == 8


def test_exact_averaging_enumerates_every_element_once():
    group = get_group("D4")
    averaging = group_averaging(group, 0.0, seed=0)
    drawn = torch.stack([averaging.draw(j, 1)[0] for j in range(averaging.k)])
    assert averaging.k == 8 and torch.equal(drawn, group.elements())


def _ratio(group_name, tolerance, seed=0):
    group = get_group(group_name)
    task = Task("sequence", "regression", "mse", None)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 8), nn.Tanh(), nn.Linear(8, 1))
    x = torch.randn(128, 1, 64)
    averaging = group_averaging(group, tolerance, seed)
    averaged = lambda y: predict(model, group, task, y, averaging)  # noqa: E731
    return equivariance_error(model, task, group, x, averaged, torch.Generator().manual_seed(1))[0]


def test_exact_averaging_is_exactly_invariant():
    assert _ratio("shift64", 0.0) < 1e-10


@pytest.mark.parametrize("tolerance", [0.5, 0.2])
def test_sampled_averaging_meets_its_tolerance(tolerance):
    assert averaging_samples(get_group("shift64"), tolerance) < 64  # really sampled
    assert _ratio("shift64", tolerance) <= tolerance
