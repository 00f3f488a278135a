"""The averaged predictor, metrics and the weak equivariance ratio."""

import torch
from torch import nn

from pipeline.groups import get_group
from pipeline.methods.symmetrize import Averaging, Task, equivariance_error, predict, score

POINTS_OUT = Task("points", "regression", "mse", "points")


def drawn_from(group, k, seed=0):
    return Averaging(group.sample(k, torch.Generator().manual_seed(seed)).to(torch.float32))


def test_averaging_maps_equivariant_outputs_back():
    group = get_group("O2")
    x = torch.randn(6, 4, 2)
    averaged = predict(nn.Identity(), group, POINTS_OUT, x, drawn_from(group, 5))
    assert torch.allclose(averaged, x, atol=1e-5)  # g^-1 (g x) = x for every sample


def test_averaging_over_the_whole_group_makes_a_model_invariant():
    group = get_group("C4")
    task = Task("image", "classification", "accuracy", None)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 3))
    x = torch.randn(5, 1, 8, 8)
    every_element = Averaging(group.elements().to(torch.float32))
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
    averaged = lambda y: predict(model, group, task, y, drawn_from(group, 64, 1))  # noqa: E731
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

from pipeline.methods.symmetrize import averaging_samples, effective_order, group_averaging  # noqa: E402


@pytest.mark.parametrize(
    ("name", "tolerance", "k"),
    [
        ("shift32", 0.0, 32),
        ("shift32", 0.2, 32),
        ("shift512", 0.1, math.ceil(8 / 3 * math.log(512) / 0.1)),
        ("C8", 0.0, 8),
        ("trivial", 0.1, 1),
        ("SO2", 0.5, math.ceil(8 / 3 * math.log(360) / 0.5)),
        ("SO2", 0.0, 360),
        ("affine2", 0.0, 4096),
    ],
)
def test_tolerance_sets_k_by_the_averaging_complexity(name, tolerance, k):
    assert averaging_samples(get_group(name), tolerance) == k


def test_effective_order_of_continuous_groups():
    assert effective_order(get_group("SO2")) == 360
    assert effective_order(get_group("O2")) == 720
    assert effective_order(get_group("D4")) == 8


@pytest.mark.parametrize(
    ("name", "discrete", "lie_dim"),
    [
        ("SO2*S32", math.factorial(32), 1),
        ("SO3*S5", 120, 3),
        ("T2*C4*D4", 8, 2),
        ("O3*S4", 2 * 24, 3),
        ("SO2*shift32*flip", 64, 1),
        ("C4*D4", 8, 0),
    ],
)
def test_effective_order_counts_the_true_discrete_part(name, discrete, lie_dim):
    assert effective_order(get_group(name)) == discrete * 360**lie_dim


def test_exact_averaging_enumerates_every_element_once():
    group = get_group("D4")
    averaging = group_averaging(group, 0.0, seed=0)
    assert averaging.k == 8 and torch.equal(averaging.elements, group.elements())


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


# -- a fixed averaging set ------------------------------------------------------------------------


def _sequence_model(length, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(length, 8), nn.Tanh(), nn.Linear(8, 1))


def test_a_sampled_averaging_set_is_the_same_for_every_input_and_call():
    group = get_group("shift32").to(dtype=torch.float32)
    averaging = group_averaging(group, 0.5, seed=3)
    assert averaging.k < 32  # really sampled
    task = Task("sequence", "regression", "mse", None)
    model, x = _sequence_model(32), torch.randn(6, 1, 32)
    h = predict(model, group, task, x, averaging)
    assert torch.equal(predict(model, group, task, x, averaging), h)  # h is a function
    alone = torch.cat([predict(model, group, task, x[i : i + 1], averaging) for i in range(6)])
    assert torch.allclose(alone, h, atol=1e-6)  # every input is averaged over the same set
    again = group_averaging(group, 0.5, seed=3)
    assert torch.equal(again.elements, averaging.elements)  # the seed fixes the set


def test_averaging_over_the_whole_group_has_no_equivariance_error():
    # k = |G| from the tolerance (not eps = 0): the set is the whole group, h is exactly invariant.
    group = get_group("shift32").to(dtype=torch.float32)
    averaging = group_averaging(group, 0.1, seed=0)
    assert averaging.k == 32 and averaging.tolerance_met
    assert _ratio_with(group, averaging, length=32) < 1e-10


def _ratio_with(group, averaging, length):
    task = Task("sequence", "regression", "mse", None)
    model, x = _sequence_model(length), torch.randn(64, 1, length)
    averaged = lambda y: predict(model, group, task, y, averaging)  # noqa: E731
    rng = torch.Generator().manual_seed(1)
    return equivariance_error(model, task, group, x, averaged, rng)[0]


@pytest.mark.parametrize(
    ("name", "tolerance", "k", "met"),
    [
        ("shift32", 0.0, 32, True),
        ("shift32", 0.2, 32, True),
        ("shift512", 0.5, 34, True),
        ("S6", 0.0, 720, True),
        ("S7", 0.0, 4096, False),
        ("S9", 0.0, 4096, False),
        ("S9", 0.001, 4096, False),
        ("SO2", 0.5, 32, True),
        ("SO2", 0.0, 360, False),
        ("affine2", 0.0, 4096, False),
        ("SO3", 0.001, 4096, False),
        ("trivial", 0.0, 1, True),
    ],
)
def test_tolerance_met_says_whether_k_reached_what_eps_asks(name, tolerance, k, met):
    averaging = group_averaging(get_group(name), tolerance, seed=0)
    assert (averaging.k, averaging.tolerance_met) == (k, met)
    assert averaging.elements.shape == (k, get_group(name).dim, get_group(name).dim)


def _large(name, kind, shape):  # thousands of elements: seconds each
    return pytest.param(name, kind, shape, marks=pytest.mark.slow)


# (group, data kind, shape of one input): every finite family, up to order 4096, and products.
EXACT = [
    *((f"C{n}", "points", (5, 2)) for n in (2, 3, 5, 7, 32, 360)),
    *((f"D{n}", "points", (5, 2)) for n in (1, 4, 32, 360)),
    *((f"shift{n}", "sequence", (1, n)) for n in (2, 32, 128, 360)),
    _large("C4096", "points", (5, 2)),
    _large("D2048", "points", (5, 2)),
    _large("shift4096", "sequence", (1, 4096)),
    *((f"S{n}", "points", (n, 2)) for n in (2, 3, 4, 5, 6)),
    ("flip", "sequence", (1, 8)),
    ("C4*flip", "image", (1, 8, 8)),
    ("shift32*flip", "sequence", (1, 32)),
    ("S4*C4", "points", (4, 2)),
    ("D8*S5", "points", (5, 2)),
]


@pytest.mark.parametrize(("name", "kind", "shape"), EXACT)
def test_exact_averaging_leaves_no_equivariance_error_in_float32(name, kind, shape):
    group = get_group(name).to(dtype=torch.float32)
    averaging = group_averaging(group, 0.0, seed=0)
    assert averaging.k == group.order == len(group.elements()) and averaging.tolerance_met
    task = Task(kind, "regression", "mse", None)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(shape), 8), nn.Tanh(), nn.Linear(8, 1))
    x = torch.randn(16 if group.order <= 360 else 4, *shape)
    averaged = lambda y: predict(model, group, task, y, averaging)  # noqa: E731
    rng = torch.Generator().manual_seed(1)
    ratio, plain = equivariance_error(model, task, group, x, averaged, rng)
    assert plain > 1e-3  # the plain model is not symmetric, so the ratio measures something
    assert ratio <= 1e-6
