"""Actions are group actions: act(g, act(h, x)) == act(gh, x), identity does nothing."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.actions import act
from pipeline.actions._images import affine_grid
from pipeline.groups import get_group
from tests.actions.helpers import band_limited, smooth_images, spins, whole_site

GEN = 0


def pair(group, n, seed=GEN):
    rng = torch.Generator().manual_seed(seed)
    return group.sample(n, rng), group.sample(n, rng)


@pytest.mark.parametrize(
    ("name", "coords"),
    [
        ("SO2", 2),
        ("O2", 2),
        ("affine2", 2),
        ("SO3", 3),
        ("O3", 3),
        ("S6", 2),
        ("SO3*S6", 3),
        ("T2*D4", 2),
    ],
)
def test_point_cloud_actions_compose(name, coords):
    group = get_group(name)
    g, h = pair(group, 5)
    x = torch.randn(5, 6, coords, dtype=torch.float64)
    lhs, rhs = act(group, g, act(group, h, x, "points"), "points"), act(group, g @ h, x, "points")
    # Exact up to float64 rounding (matrix products are associative only to ~1e-16).
    assert torch.allclose(lhs, rhs, rtol=0, atol=1e-12)


def test_permutations_of_points_compose_bit_for_bit():
    group = get_group("S7")
    g, h = pair(group, 4)
    x = torch.randn(4, 7, 3)
    assert torch.equal(
        act(group, g, act(group, h, x, "points"), "points"), act(group, g @ h, x, "points")
    )
    moved = act(group, g, x, "points")
    assert torch.equal(moved.sort(dim=1).values, x.sort(dim=1).values)  # same points, reordered


@pytest.mark.parametrize(("name", "length"), [("shift16", 16), ("shift16*flip", 16), ("shift9", 9)])
def test_integer_sequence_shifts_compose_exactly(name, length):
    group = get_group(name)
    g, h = pair(group, 6)
    x = torch.randn(6, 3, length)
    assert torch.equal(
        act(group, g, act(group, h, x, "sequence"), "sequence"), act(group, g @ h, x, "sequence")
    )


def _dihedral_circle(n: int):
    """Shifts and reversals of length-n sequences: the circle's rotations and reflections."""
    import math

    from pipeline.groups import Group

    angle = 2 * math.pi / n
    rotation = torch.tensor(
        [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]],
        dtype=torch.float64,
    )
    reflection = torch.diag(torch.tensor([1.0, -1.0], dtype=torch.float64))
    return Group(
        name="dihedral_circle",
        domain="circle",
        lie_algebra=torch.zeros(0, 2, 2, dtype=torch.float64),
        discrete_generators=torch.stack([rotation, reflection]),
        generator_orders=(n, 2),
        order=2 * n,
        lie_names=(),
        lie_ranges=(),
        discrete_names=("shift1", "reverse"),
        acts_on=frozenset({"sequence"}),
        description="shifts and reversals",
    )


@given(st.lists(st.tuples(st.integers(0, 8), st.booleans()), min_size=2, max_size=6))
@settings(max_examples=40, deadline=None)
def test_shifts_and_reversals_of_sequences_compose_exactly(words):
    group = _dihedral_circle(9)
    shift1, reverse = group.discrete_generators
    elements = [
        torch.linalg.matrix_power(shift1, k) @ (reverse if r else torch.eye(2)).double()
        for k, r in words
    ]
    x = torch.randn(len(elements), 2, 9, dtype=torch.float64)
    g, h = torch.stack(elements), torch.stack(elements[::-1])
    assert torch.equal(
        act(group, g, act(group, h, x, "sequence"), "sequence"), act(group, g @ h, x, "sequence")
    )


def test_a_reversal_element_reverses_time_about_zero():
    group = _dihedral_circle(8)
    x = torch.arange(8.0).reshape(1, 1, 8)
    reverse = group.discrete_generators[1:]
    assert act(group, reverse, x, "sequence").flatten().tolist() == [0, 7, 6, 5, 4, 3, 2, 1]
    shifted_reverse = group.discrete_generators[0] @ group.discrete_generators[1]
    assert act(group, shifted_reverse[None], x, "sequence").flatten().tolist() == [
        1,
        0,
        7,
        6,
        5,
        4,
        3,
        2,
    ]


def test_a_shift_element_rolls_the_sequence():
    group = get_group("shift10")
    x = torch.arange(10.0).reshape(1, 1, 10)
    generator = group.discrete_generators[0]
    assert torch.equal(act(group, generator, x, "sequence"), torch.roll(x, 1, dims=-1))


@pytest.mark.parametrize("name", ["D4", "T2*D4*flip", "C4*flip", "T2"])
def test_lattice_actions_compose_exactly(name):
    group = get_group(name)
    g, h = (whole_site(e, 6) for e in pair(group, 5))
    x = spins(5, 6)
    assert torch.equal(
        act(group, g, act(group, h, x, "lattice"), "lattice"), act(group, g @ h, x, "lattice")
    )
    assert torch.equal(act(group, g, x, "lattice").abs(), x.abs())  # spins stay +-1


def test_lattice_moves_agree_with_image_warps_on_grid_symmetries():
    group = get_group("D4")
    elements = group.elements()
    x = spins(len(elements), 8)
    as_lattice = act(group, elements, x, "lattice")
    as_image = act(group, elements, x[:, None], "image")[:, 0]
    assert torch.allclose(as_lattice, as_image, atol=1e-5)


def test_whole_site_translation_rolls_the_lattice():
    group = get_group("T2")
    one_site = group.exp(torch.tensor([2 / 8, 0.0], dtype=torch.float64))
    x = spins(2, 8)
    assert torch.equal(act(group, one_site, x, "lattice"), torch.roll(x, 1, dims=-1))


@pytest.mark.parametrize("name", ["C4", "D4", "C4*flip", "D4*flip"])
def test_images_under_grid_rotations_compose_exactly(name):
    group = get_group(name)
    g, h = pair(group, 6)
    x = torch.randn(6, 2, 12, 12, dtype=torch.float64)
    lhs = act(group, g, act(group, h, x, "image"), "image")
    assert torch.allclose(lhs, act(group, g @ h, x, "image"), rtol=0, atol=1e-12)


def test_a_quarter_turn_is_rot90():
    group = get_group("C4")
    x = torch.randn(1, 1, 9, 9, dtype=torch.float64)
    turned = act(group, group.discrete_generators[0], x, "image")
    # y points down in affine_grid coordinates, so a positive angle turns clockwise on screen.
    assert torch.allclose(turned, torch.rot90(x, -1, dims=(2, 3)), atol=1e-12)


# Interpolation tolerance for warps that do not map pixels to pixels (module docstring of
# pipeline/actions/_images.py): relative to the image's range, in the central half.
INTERPOLATION_TOLERANCE_64PX = 0.01


def _composition_error(group, size):
    rng = torch.Generator().manual_seed(3)
    g, h = (
        group.exp(0.3 * (2 * torch.rand(4, group.lie_dim, generator=rng, dtype=torch.float64) - 1))
        for _ in range(2)
    )
    x = smooth_images(4, size)
    lhs, rhs = act(group, g, act(group, h, x, "image"), "image"), act(group, g @ h, x, "image")
    centre = slice(size // 4, 3 * size // 4)
    span = x.max() - x.min()
    moved = (act(group, g, x, "image") - x).abs().max() / span
    return float((lhs - rhs)[..., centre, centre].abs().max() / span), float(moved)


@pytest.mark.parametrize("name", ["SO2", "scale", "affine2", "T2", "O2*flip"])
def test_image_warps_compose_up_to_interpolation_error(name):
    group = get_group(name)
    coarse, _ = _composition_error(group, 32)
    fine, moved = _composition_error(group, 64)
    assert fine <= INTERPOLATION_TOLERANCE_64PX
    assert fine < coarse / 2  # the discrepancy vanishes with resolution: it is interpolation
    assert moved > 10 * fine  # and the warps did move the image


def test_fractional_shifts_follow_the_fourier_shift_theorem():
    from pipeline.actions._sequences import fourier_shift, roll

    x = band_limited(3, 2, 32)
    whole = torch.tensor([1.0, -3.0, 5.0], dtype=torch.float64)
    assert torch.allclose(fourier_shift(x, whole), roll(x, whole), atol=1e-10)
    a, b = torch.tensor([0.3, 1.7, -2.2]), torch.tensor([0.45, -0.2, 3.1])
    assert torch.allclose(
        fourier_shift(fourier_shift(x, a), b), fourier_shift(x, a + b), atol=1e-10
    )


@pytest.mark.parametrize(
    ("name", "kind", "data"),
    [
        ("trivial", "image", torch.randn(2, 1, 5, 5)),
        ("trivial", "sequence", torch.randn(2, 1, 5)),
        ("SO2", "image", torch.randn(2, 3, 8, 6, dtype=torch.float64)),
        ("SO3*S4", "points", torch.randn(2, 4, 3)),
        ("shift5", "sequence", torch.randn(2, 1, 5)),
        ("T2*D4*flip", "lattice", torch.randn(2, 4, 4)),
    ],
)
def test_the_identity_does_nothing(name, kind, data):
    group = get_group(name)
    assert torch.allclose(act(group, group.identity(2), data, kind), data, atol=1e-12)


def test_flip_negates_values_of_every_kind_it_acts_on():
    group = get_group("flip")
    minus = -torch.ones(1, 1, dtype=torch.float64)
    for kind, x in [
        ("image", torch.randn(2, 1, 4, 4)),
        ("sequence", torch.randn(2, 3, 7)),
        ("lattice", spins(2, 4)),
    ]:
        assert torch.equal(act(group, minus, x, kind), -x)


def test_non_square_images_rotate_without_shearing():
    group = get_group("C4")
    x = torch.zeros(1, 1, 9, 15, dtype=torch.float64)
    x[..., 4, 7] = 1.0  # centre pixel of a non-square image stays put under rotation
    x[..., 4, 9] = 1.0  # two pixels right of centre ends up two pixels below it
    turned = act(group, group.discrete_generators[0], x, "image")
    assert torch.allclose(turned[0, 0, 4, 7], torch.tensor(1.0, dtype=torch.float64))
    assert torch.allclose(turned[0, 0, 6, 7], torch.tensor(1.0, dtype=torch.float64))


@pytest.mark.parametrize(
    ("name", "kind", "data", "message"),
    [
        ("SO3", "image", torch.randn(1, 1, 4, 4), "does not act on image"),
        ("SO2", "video", torch.randn(1, 1, 4, 4), "unknown data kind"),
        ("SO2", "points", torch.randn(1, 4, 3), "2-dimensional group cannot move points with 3"),
        ("S5", "points", torch.randn(1, 6, 2), "S5 permutes 5 points"),
    ],
)
def test_mismatched_data_gets_a_clear_error(name, kind, data, message):
    group = get_group(name)
    with pytest.raises(ValueError, match=message):
        act(group, group.identity(1), data, kind)


@settings(max_examples=30, deadline=None)
@given(
    batch=st.integers(1, 4),
    height=st.integers(1, 9),
    width=st.integers(1, 9),
    seed=st.integers(0, 2**31 - 1),
    dtype=st.sampled_from([torch.float32, torch.float64]),
)
def test_separable_affine_grid_matches_torch_in_value_and_gradient(
    batch, height, width, seed, dtype
):
    rng = torch.Generator().manual_seed(seed)
    theta = torch.randn(batch, 2, 3, generator=rng, dtype=dtype)
    weights = torch.randn(batch, height, width, 2, generator=rng, dtype=dtype)

    def torchs(t, h, w):
        return F.affine_grid(t, [batch, 1, h, w], align_corners=False)

    grids, gradients = [], []
    for build in (affine_grid, torchs):
        leaf = theta.clone().requires_grad_(True)
        grid = build(leaf, height, width)
        (grid * weights).sum().backward()
        grids.append(grid.detach())
        gradients.append(leaf.grad)
    tolerance = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(grids[0], grids[1], atol=tolerance, rtol=tolerance)
    torch.testing.assert_close(gradients[0], gradients[1], atol=10 * tolerance, rtol=tolerance)
