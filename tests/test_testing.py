"""assert_equivariant / assert_invariant pass on symmetric functions and catch broken ones."""

import pytest
import torch

from pipeline.actions import act
from pipeline.groups import get_group
from pipeline.testing import assert_equivariant, assert_invariant


def sorted_norms(points):
    return points.norm(dim=-1).sort(dim=-1).values


def test_invariant_function_passes_on_a_product_group():
    error = assert_invariant(sorted_norms, get_group("SO3*S6"), "points", torch.randn(3, 6, 3))
    assert error < 1e-5


def test_non_invariant_function_is_caught_with_the_group_named():
    first_coordinate = lambda pts: pts[..., 0]  # noqa: E731
    with pytest.raises(AssertionError, match="not invariant under SO3"):
        assert_invariant(first_coordinate, get_group("SO3"), "points", torch.randn(3, 6, 3))


def test_equivariant_function_passes_with_data_kinds():
    def radial(pts):
        return pts * pts.norm(dim=-1, keepdim=True)

    assert_equivariant(radial, get_group("O3*S5"), "points", "points", torch.randn(2, 5, 3))


def test_wrong_output_action_is_caught():
    group = get_group("C4")
    double = lambda img: 2 * img  # noqa: E731
    assert_equivariant(double, group, "image", "image", torch.randn(2, 1, 8, 8))
    with pytest.raises(AssertionError, match="not invariant under C4"):
        assert_equivariant(double, group, "image", None, torch.randn(2, 1, 8, 8))
    flip = get_group("flip")
    with pytest.raises(AssertionError, match="not equivariant under flip"):
        assert_equivariant(torch.abs, flip, "image", "image", torch.randn(2, 1, 8, 8))


def test_callable_actions_and_finite_groups_use_every_element():
    group = get_group("shift8")
    seen = []

    def spy_shift(g, x):
        seen.append(g[0].clone())
        return act(group, g, x, "sequence")

    assert_invariant(lambda x: x.sum(-1), group, spy_shift, torch.randn(2, 1, 8))
    assert len(seen) == group.order


def test_continuous_groups_use_the_requested_samples():
    calls = []

    def total(pts):
        calls.append(1)
        return pts.norm(dim=-1).sum(-1)

    assert_invariant(total, get_group("SO2"), "points", torch.randn(2, 4, 2), n_samples=5)
    assert len(calls) == 1 + 5
