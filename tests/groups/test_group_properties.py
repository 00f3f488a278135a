"""Group axioms as properties, parametrized over the catalog (and a few more instances)."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from pipeline.groups import EXAMPLES, Group, get_group
from tests.groups.membership import is_member

NAMES = [
    *EXAMPLES,
    "C1",
    "C3",
    "D1",
    "D6",
    "S2",
    "S3",
    "shift7",
    "SO2*T2",
    "C4*D4",
    "scale*SO2",
    "learned3",
    "O3*S4",
    "shift8*flip",
]
FINITE = [n for n in NAMES if get_group(n).is_finite]
CONTINUOUS = [n for n in NAMES if not get_group(n).is_finite]
ATOL = 1e-8


def coefficient_lists(max_magnitude: float = 4.0):
    return st.lists(st.floats(-max_magnitude, max_magnitude), min_size=6, max_size=6)


def _eye(group: Group, n: int = 1) -> torch.Tensor:
    return torch.eye(group.dim, dtype=group.dtype).expand(n, group.dim, group.dim)


@pytest.mark.parametrize("name", CONTINUOUS)
@given(values=coefficient_lists())
def test_exp_of_algebra_elements_lands_in_the_group(name, values):
    group = get_group(name)
    g = group.exp(torch.tensor(values[: group.lie_dim], dtype=group.dtype))
    assert is_member(group, g), f"exp{values[: group.lie_dim]} left {name}:\n{g}"


@pytest.mark.parametrize("name", CONTINUOUS)
@given(values=coefficient_lists(2.0), s=st.floats(-2, 2), t=st.floats(-2, 2))
def test_exp_is_a_one_parameter_subgroup(name, values, s, t):
    group = get_group(name)
    a = torch.tensor(values[: group.lie_dim], dtype=group.dtype)
    assert torch.allclose(group.exp(s * a) @ group.exp(t * a), group.exp((s + t) * a), atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_exp_of_zero_is_the_identity(name):
    group = get_group(name)
    assert torch.equal(group.exp(torch.zeros(group.lie_dim, dtype=group.dtype)), _eye(group)[0])


@pytest.mark.parametrize("name", [n for n in NAMES if get_group(n).num_discrete])
def test_discrete_generators_have_their_stated_orders(name):
    group = get_group(name)
    eye = _eye(group)[0]
    for generator, order in zip(group.discrete_generators, group.generator_orders, strict=True):
        power = eye
        for _ in range(1, order):
            power = power @ generator
            assert not torch.allclose(power, eye, atol=ATOL), f"order of generator < {order}"
        assert torch.allclose(power @ generator, eye, atol=ATOL)
        assert is_member(group, generator)


@pytest.mark.parametrize("name", FINITE)
def test_finite_groups_are_closed_with_their_stated_order(name):
    group = get_group(name)
    elements = group.elements()
    assert len(elements) == group.order
    assert torch.equal(elements[0], _eye(group)[0])
    flat = elements.flatten(1)
    distinct = torch.cdist(flat, flat) > 1e-6
    assert distinct.sum() == group.order * (group.order - 1)  # all elements distinct
    products = (elements[:, None] @ elements[None]).flatten(2)  # every pair g h
    nearest = torch.cdist(products.reshape(-1, flat.shape[1]), flat).min(dim=1).values
    assert nearest.max() < 1e-6, "a product of two elements is not in the group"
    assert all(is_member(group, g) for g in elements)


@pytest.mark.parametrize("name", NAMES)
def test_inverse_and_identity(name):
    group = get_group(name)
    g = group.sample(8, torch.Generator().manual_seed(1))
    eye = _eye(group, 8)
    assert torch.allclose(group.compose(g, group.inverse(g)), eye, atol=1e-9)
    assert torch.allclose(group.compose(group.inverse(g), g), eye, atol=1e-9)
    assert torch.equal(group.compose(eye, g), g)
    assert all(is_member(group, h) for h in group.inverse(g))


@pytest.mark.parametrize("name", NAMES)
def test_sampling_is_reproducible_and_lands_in_the_group(name):
    group = get_group(name)
    first = group.sample(16, torch.Generator().manual_seed(7))
    again = group.sample(16, torch.Generator().manual_seed(7))
    assert torch.equal(first, again)
    assert first.shape == (16, group.dim, group.dim)
    assert all(is_member(group, g) for g in first)
    if (group.order or 2**31) > 1:
        other = group.sample(16, torch.Generator().manual_seed(8))
        assert not torch.equal(first, other)


@pytest.mark.parametrize("name", ["SO2", "SO3", "O3", "C8", "S4", "shift16"])
def test_samples_are_spread_over_compact_groups(name):
    # Haar (or uniform) measure on these groups has E[rho(g)] = 0 on the moved block,
    # while a sampler stuck near the identity would average close to I.
    group = get_group(name)
    mean = group.sample(20000, torch.Generator().manual_seed(0)).mean(dim=0)
    moved = slice(0, group.dim - 1) if group.domain in ("plane", "space") else slice(None)
    if group.domain == "perm":  # uniform permutations average to the all-(1/n) matrix
        assert torch.allclose(mean, torch.full_like(mean, 1 / group.dim), atol=0.02)
    else:
        assert mean[moved, moved].abs().max() < 0.03


@pytest.mark.parametrize("name", CONTINUOUS)
def test_continuous_groups_refuse_to_enumerate(name):
    with pytest.raises(ValueError, match="continuous"):
        get_group(name).elements()


def test_products_are_block_diagonal_in_their_factors():
    group = get_group("SO2*flip*S5")
    g = group.sample(4, torch.Generator().manual_seed(3))
    off_block = torch.ones(group.dim, group.dim, dtype=torch.bool)
    for factor, span in group.blocks():
        off_block[span, span] = False
        assert all(is_member(factor, block) for block in g[:, span, span])
    assert (g[:, off_block] == 0).all()


def test_groups_move_to_another_dtype():
    group = get_group("SO2*flip").to(dtype=torch.float32)
    assert group.exp(torch.ones(1)).dtype == torch.float32
    assert all(f.dtype == torch.float32 for f in group.factors)


def test_exp_follows_the_coefficients_dtype_and_device():
    group = get_group("affine2")  # catalog tensors are float64 on the CPU
    coefficients = torch.zeros(2, 6, dtype=torch.float32, device="meta")
    assert group.exp(coefficients).device.type == "meta"
    assert group.exp(torch.zeros(6, dtype=torch.float32)).dtype == torch.float32


@pytest.mark.parametrize("name", ["O3*S4", "SO2*flip*S5", "T2*D4*flip", "SO3*S5"])
@given(values=coefficient_lists())
def test_exp_leaves_finite_factors_exactly_at_the_identity(name, values):
    group = get_group(name)
    g = group.exp(torch.tensor(values[: group.lie_dim], dtype=group.dtype))
    for factor, span in group.blocks():
        if factor.lie_dim == 0:
            assert torch.equal(g[span, span], torch.eye(factor.dim, dtype=g.dtype))
