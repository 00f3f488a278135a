"""Which candidate generators lie in a true group, and naming exactly the span of active ones."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from pipeline.groups import (
    EXAMPLES,
    Group,
    discovery_matches,
    element_in_group,
    generator_in_group,
    get_group,
    span_name,
)
from pipeline.groups import _membership as mem


@pytest.mark.parametrize(
    ("candidate", "generator", "true_group", "inside"),
    [
        ("SO2", "rot", "SO2", True),
        ("SO2", "rot", "trivial", False),
        ("SO2", "rot", "C4", False),
        ("T2", "tx", "SO2", False),
        ("T2", "tx", "T2*D4*flip", True),
        ("T2", "tx", "Tx", True),
        ("T2", "ty", "Tx", False),
        ("affine2", "scale", "affine2", True),
        ("affine2", "shear", "SO2*T2", False),
        ("C4", "rot4", "SO2", True),
        ("C4", "rot4", "C8", True),
        ("C4", "rot4", "C2", False),
        ("C2", "rot2", "C4", True),
        ("D4", "mirror", "D4", True),
        ("D4", "mirror", "SO2", False),
        ("D4", "mirror", "O2", True),
        ("SO3", "rx", "SO3*S32", True),
        ("SO3", "rz", "SO2z*S32", True),
        ("SO3", "rx", "SO2z*S32", False),
        ("O3", "inversion", "SO3", False),
        ("S32", "cycle32", "SO2*S32", True),
        ("S5", "swap01", "S5[cycle5]", False),
        ("S5", "cycle5", "S5[cycle5]", True),
        ("shift32", "shift1", "shift32", True),
        ("shift32", "shift1", "trivial", False),
        ("shift32", "shift1", "shift32by2", False),
        ("flip", "flip", "T2*D4*flip", True),
        ("flip", "flip", "T2*D4", False),
        ("C4*D4", "C4.rot4", "D4", True),
    ],
)
def test_generator_in_group_from_the_matrices(candidate, generator, true_group, inside):
    assert generator_in_group(get_group(candidate), generator, get_group(true_group)) is inside


def test_learned_generators_are_compared_elsewhere():
    assert generator_in_group(get_group("learned2"), "L0", get_group("SO2")) is None


def test_a_group_the_catalog_never_named_is_decided_from_its_matrices():
    # Rotations about the diagonal axis (1, 1, 0)/sqrt(2): no catalog name, exact membership.
    so3 = get_group("SO3")
    axis = (so3.lie_algebra[0] + so3.lie_algebra[1]) / 2**0.5
    diagonal = Group(
        name="diag",
        domain="space",
        lie_algebra=axis[None],
        discrete_generators=so3.discrete_generators,
        generator_orders=(),
        order=None,
        lie_names=("rd",),
        lie_ranges=(3.14,),
        discrete_names=(),
        acts_on=frozenset({"points"}),
    )
    assert generator_in_group(diagonal, "rd", so3) is True
    assert generator_in_group(so3, "rz", diagonal) is False
    turn = torch.linalg.matrix_exp(2.0 * axis)
    assert element_in_group(so3, turn, diagonal)
    assert not element_in_group(so3, torch.linalg.matrix_exp(2.0 * so3.lie_algebra[2]), diagonal)


def test_half_turns_are_found_in_the_continuous_group():
    # The principal logarithm of a half turn is not real: membership searches for it.
    half_turn = get_group("C2").discrete_generators[0]
    assert element_in_group(get_group("C2"), half_turn, get_group("SO2"))
    assert not element_in_group(get_group("C2"), half_turn, get_group("T2*scale"))


@pytest.mark.parametrize(
    ("candidate", "active", "orders", "name"),
    [
        ("affine2", {"rot"}, {}, "SO2"),
        ("affine2", set(), {}, "trivial"),
        ("affine2", {"tx"}, {}, "Tx"),
        ("affine2", {"ty", "scale"}, {}, "Ty*scale"),
        ("affine2", {"rot", "tx", "ty"}, {}, "SO2*T2"),
        ("affine2", {"rot", "shear"}, {}, "affine2[rot,stretch,shear]"),  # closed under brackets
        ("affine2", {"rot", "tx"}, {}, "SO2*T2"),  # a turn and a shift generate SE(2)
        ("affine2", {"tx", "ty", "rot", "scale", "stretch", "shear"}, {}, "affine2"),
        ("D4", {"rot4", "mirror"}, {"rot4": 4}, "D4"),
        ("D4", {"rot4"}, {"rot4": 2}, "C2"),
        ("D4", {"mirror"}, {}, "D1"),
        ("O2", {"rot", "mirror"}, {}, "O2"),
        ("SO2*flip", {"flip"}, {}, "flip"),
        ("SO3", {"rz"}, {}, "SO2z"),
        ("SO3", {"rx"}, {}, "SO2x"),
        ("SO3", {"rx", "ry"}, {}, "SO3"),  # [rx, ry] = rz
        ("SO3*S5", {"rz", "cycle5"}, {}, "SO2z*S5[cycle5]"),
        ("SO3*S5", {"rx", "ry", "rz", "cycle5", "swap01"}, {}, "SO3*S5"),
        ("S5", {"swap01"}, {}, "S5[swap01]"),
        ("T2*D4*flip", {"tx", "ty", "rot4", "mirror", "flip"}, {"rot4": 4}, "D4*T2*flip"),
        ("T2*D4", {"tx", "rot4"}, {"rot4": 2}, "C2*Tx"),
        ("shift16", {"shift1"}, {}, "shift16"),
        ("shift16", {"shift1"}, {"shift1": 4}, "shift16by4"),
        ("learned3", {"L0", "L2"}, {}, "learned2"),
    ],
)
def test_span_is_named_exactly(candidate, active, orders, name):
    group = get_group(candidate)
    assert span_name(group, active, orders) == name
    if candidate.startswith("learned"):  # in either domain
        space = get_group(candidate, learned_domain="space")
        assert span_name(space, active, orders) == name
        return
    found = get_group(name)  # every name parses, and is the group the active generators span
    for generator in (g for g in group.generator_names() if g in active and g not in orders):
        assert generator_in_group(group, generator, found)


@given(st.sampled_from(["affine2", "SO3", "SO2*T2", "T2*scale"]), st.data())
def test_a_named_span_is_a_lie_algebra_holding_the_active_generators(candidate, data):
    group = get_group(candidate)
    active = data.draw(st.sets(st.sampled_from(group.lie_names)))
    found = get_group(span_name(group, active, {}))
    for generator in active:  # every active generator lies in the named group
        assert generator_in_group(group, generator, found)
    algebra = found.lie_algebra.to(torch.float64)
    for a in algebra:  # and the named group's algebra is closed under brackets
        for b in algebra:
            assert mem.in_span(algebra, a @ b - b @ a)


def test_a_generated_name_describes_a_subgroup_never_a_larger_group():
    found = get_group("SO3[rx,ry]")
    assert found.lie_dim == 2 and found.lie_names == ("rx", "ry")
    assert generator_in_group(get_group("SO3"), "rz", found) is False
    assert get_group("S5[swap01]").order == 2
    assert get_group("(T2*D4)[tx,rot4^2]").discrete_names == ("rot4^2",)


@pytest.mark.parametrize(
    ("candidate", "active", "orders", "true_group", "right"),
    [
        ("SO3", {"rz"}, {}, "SO2z*S16", True),
        ("SO3", {"rx", "ry", "rz"}, {}, "SO2z*S16", False),  # found more than is there
        ("SO3", set(), {}, "SO2z*S16", False),  # missed rz
        ("SO3", {"rx", "ry", "rz"}, {}, "SO3*S16", True),
        ("affine2", {"rot"}, {}, "SO2", True),
        ("affine2", {"rot", "tx"}, {}, "SO2", False),
        ("affine2", {"rot", "tx"}, {}, "SO2*T2", True),  # the span they generate is SE(2)
        ("D4", {"rot4"}, {"rot4": 2}, "C2", True),  # spread over the half turns only
        ("D4", {"rot4"}, {"rot4": 4}, "C2", False),
        ("C8", {"rot8"}, {"rot8": 4}, "C4", True),  # C4 is the part of C8 inside C4
        ("SO2*flip", {"rot"}, {}, "SO2", True),
        ("SO2*flip", {"rot", "flip"}, {"flip": 2}, "SO2", False),
        ("trivial", set(), {}, "SO2", True),
    ],
)
def test_discovery_compares_spans_and_discrete_parts(candidate, active, orders, true_group, right):
    assert discovery_matches(get_group(candidate), active, orders, get_group(true_group)) is right


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_catalog_generator_has_a_record_from_its_family(name):
    group = get_group(name)
    records = group.records()
    assert len(records) == len(group.generator_names())
    assert all(r.kind != "other" for r in records), records


def test_float32_copies_of_large_cyclic_groups_are_named_and_judged_exactly():
    # A trial's float32 C360 drifts in its powers; relations rebuild the exact group by name.
    c360 = get_group("C360").to(dtype=torch.float32)
    assert span_name(c360, {"rot360"}, {"rot360": 120}) == "C120"
    assert discovery_matches(c360, {"rot360"}, {"rot360": 120}, get_group("C120"))
    shift128 = get_group("shift128").to(dtype=torch.float32)
    assert span_name(shift128, {"shift1"}, {"shift1": 64}) == "shift128by2"
