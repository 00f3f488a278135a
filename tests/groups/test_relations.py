"""Which candidate generators lie in a true group, and naming the span of active generators."""

import pytest

from pipeline.groups import generator_in_group, get_group, span_name


@pytest.mark.parametrize(("generator", "true_group", "inside"), [
    ("rot", "SO2", True), ("rot", "trivial", False), ("rot", "C4", False),
    ("tx", "SO2", False), ("tx", "T2*D4*flip", True), ("scale", "affine2", True),
    ("shear", "SO2*T2", False), ("rot4", "SO2", True), ("rot4", "C8", True), ("rot4", "C2", False),
    ("rot2", "C4", True), ("mirror", "D4", True), ("mirror", "SO2", False), ("mirror", "O2", True),
    ("rx", "SO3*S32", True), ("inversion", "SO3", False), ("cycle32", "SO2*S32", True),
    ("shift1", "shift32", True), ("shift1", "trivial", False), ("flip", "T2*D4*flip", True),
    ("flip", "T2*D4", False), ("C4.rot4", "D4", True),
])  # fmt: skip
def test_generator_in_group(generator, true_group, inside):
    assert generator_in_group(generator, true_group) is inside


def test_learned_generators_are_compared_elsewhere():
    assert generator_in_group("L0", "SO2") is None


@pytest.mark.parametrize(("candidate", "active", "orders", "name"), [
    ("affine2", {"rot"}, {}, "SO2"),
    ("affine2", set(), {}, "trivial"),
    ("affine2", {"tx"}, {}, "T2"),
    ("affine2", {"rot", "tx", "ty"}, {}, "SO2*T2"),
    ("affine2", {"rot", "shear"}, {}, "affine2"),
    ("D4", {"rot4", "mirror"}, {"rot4": 4}, "D4"),
    ("D4", {"rot4"}, {"rot4": 2}, "C2"),
    ("D4", {"mirror"}, {}, "D1"),
    ("O2", {"rot", "mirror"}, {}, "O2"),
    ("SO2*flip", {"flip"}, {}, "flip"),
    ("SO3*S5", {"rz", "cycle5"}, {}, "SO3*S5"),
    ("T2*D4*flip", {"tx", "ty", "rot4", "mirror", "flip"}, {"rot4": 4}, "D4*T2*flip"),
    ("shift16", {"shift1"}, {}, "shift16"),
    ("learned3", {"L0", "L2"}, {}, "learned2"),
])  # fmt: skip
def test_span_names_the_smallest_catalog_group(candidate, active, orders, name):
    assert span_name(get_group(candidate), active, orders) == name
    if candidate.startswith("learned"):  # in either domain
        space = get_group(candidate, learned_domain="space")
        assert span_name(space, active, orders) == name
    get_group(name)  # always a name the catalog parses
