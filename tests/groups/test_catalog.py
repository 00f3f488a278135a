"""Parsing catalog names: every name in docs/architecture.md, products, clear errors else."""

import pytest

from pipeline.groups import EXAMPLES, UnknownGroupError, catalog, get_group

REQUIRED = [
    "trivial",
    "C4",
    "D4",
    "SO2",
    "O2",
    "T2",
    "scale",
    "affine2",
    "SO3",
    "O3",
    "S5",
    "shift32",
    "flip",
    "learned2",
    "SO2*flip",
]


def test_catalog_lists_every_required_name():
    names = [g.name for g in catalog()]
    assert len(names) >= 14
    assert set(REQUIRED) <= set(names)


@pytest.mark.parametrize("name", EXAMPLES)
def test_names_round_trip(name):
    assert get_group(name).name == name


@pytest.mark.parametrize(
    ("name", "order", "lie_dim", "dim"),
    [
        ("C6", 6, 0, 3),
        ("D3", 6, 0, 3),
        ("S4", 24, 0, 4),
        ("shift7", 7, 0, 2),
        ("flip", 2, 0, 1),
        ("SO2", None, 1, 3),
        ("affine2", None, 6, 3),
        ("SO3", None, 3, 4),
        ("learned3", None, 3, 3),
        ("trivial", 1, 0, 1),
    ],
)
def test_family_parameters(name, order, lie_dim, dim):
    group = get_group(name)
    assert (group.order, group.lie_dim, group.dim) == (order, lie_dim, dim)


def test_products_of_different_domains_are_direct():
    group = get_group("SO2*flip*S5")
    assert group.kind == "product"
    assert [f.name for f in group.factors] == ["SO2", "flip", "S5"]
    assert group.dim == 3 + 1 + 5
    assert get_group("D4*flip").order == 16


def test_factors_in_one_domain_generate_one_group():
    # C4 lies inside D4, so together they generate D4 (order 8, not 32).
    assert get_group("C4*D4").order == 8
    assert get_group("C2*C3").order == 6
    wallpaper = get_group("T2*D4")
    assert wallpaper.domain == "plane" and wallpaper.lie_names == ("tx", "ty")


def test_trivial_factors_drop_out_but_the_name_stays():
    group = get_group("trivial*SO2")
    assert group.name == "trivial*SO2" and group.lie_dim == 1 and group.dim == 3


def test_learned_generators_have_equal_norms_in_either_domain():
    for domain, dim in [("plane", 3), ("space", 4)]:
        group = get_group("learned4", learned_domain=domain)
        norms = group.lie_algebra.flatten(1).norm(dim=1)
        assert group.dim == dim and group.learnable
        assert norms.allclose(norms[0].expand(4))
        assert (group.lie_algebra[:, -1, :] == 0).all()  # exp stays affine


@pytest.mark.parametrize(
    ("bad", "suggestion"),
    [("SO(2)", "SO2"), ("c4", "C4"), ("affine", "affine2"), ("Flip", "flip"), ("so3", "SO3")],
)
def test_unknown_names_suggest_close_matches(bad, suggestion):
    with pytest.raises(UnknownGroupError, match=f"did you mean .*{suggestion}"):
        get_group(bad)


@pytest.mark.parametrize(
    "bad", ["", "C0", "S0", "learned0", "learned99", "shift0", "SO2**flip", "S5*S6", "rotations", 7]
)
def test_bad_names_raise_one_clear_error(bad):
    with pytest.raises(UnknownGroupError) as info:
        get_group(bad)
    assert "\n" not in str(info.value)
