"""Bring your own group: a ``module:function`` factory, checked before any training."""

import re

import pytest
import torch

from pipeline.data import DatasetError, build_dataset
from pipeline.groups import UnknownGroupError, element_in_group, get_group, span_name
from pipeline.space import SpaceError, make_config

HERE = "tests.groups.axis_factories"


def test_a_factory_group_is_named_by_its_path_and_acts_like_a_catalog_group():
    group = get_group(f"{HERE}:diagonal_rotations")
    assert group.name == f"{HERE}:diagonal_rotations" and group.lie_dim == 1
    assert group.records()[0].kind == "rotation"
    turn = group.exp(torch.tensor([2.0], dtype=torch.float64))
    assert torch.allclose(
        turn[:3, :3] @ torch.ones(3, dtype=turn.dtype), torch.ones(3, dtype=turn.dtype)
    )
    assert element_in_group(group, turn, get_group("SO3"))
    assert not element_in_group(group, turn, get_group("SO2z"))
    both = get_group(f"{HERE}:diagonal_rotations*S4")
    assert both.kind == "product" and both.dim == 8
    assert span_name(both, {"rd"}, {}) == f"{HERE}:diagonal_rotations"
    assert get_group(f"{HERE}:quarter_turns").order == 4


def test_a_dataset_may_name_a_factory_group_as_its_true_group():
    data = build_dataset({"factory": f"{HERE}:rods_spun_about_diagonal", "n_samples": 60}, 0)
    assert data.group().factors[0].name == f"{HERE}:diagonal_rotations"


@pytest.mark.parametrize(
    ("function", "message"),
    [
        ("wrong_order", "'q' is declared of order 3, but q^3 is not the identity"),
        ("understated_order", "order must be 4, the number of elements"),
        ("infinite_discrete", "generate more than 8192 elements (or an infinite group)"),
        ("wrong_domain_size", "plane groups use 3x3 matrices, got 4x4"),
        ("acts_on_sequences", "acts_on must be a non-empty set of image, lattice, points"),
        ("not_a_group", "returned list, expected pipeline.groups.Group"),
        ("broken", "failed: RuntimeError: no such axis"),
        ("missing", "has no function 'missing'"),
    ],
)
def test_unusable_factory_groups_are_refused_in_one_line(function, message):
    with pytest.raises(UnknownGroupError, match=re.escape(message)) as error:
        get_group(f"{HERE}:{function}")
    assert "\n" not in str(error.value) and f"{HERE}:{function}" in str(error.value)


def test_bad_paths_are_refused_in_one_line():
    with pytest.raises(UnknownGroupError, match="cannot import 'no_such_module'"):
        get_group("no_such_module:f")
    with pytest.raises(UnknownGroupError, match=r"must look like .package.module:function."):
        get_group("a:b:c")


def test_the_trial_config_and_the_dataset_name_the_field():
    with pytest.raises(SpaceError, match=r"^candidate_group: group factory .*wrong_order"):
        make_config({"candidate_group": f"{HERE}:wrong_order"})
    with pytest.raises(DatasetError, match=r"^true_group: group factory"):
        data = build_dataset({"factory": f"{HERE}:rods_spun_about_z", "n_samples": 30}, 0)
        type(data)(**{**data.__dict__, "true_group": f"{HERE}:broken"})


def test_the_how_to_example_is_the_tested_factory():
    from tests.docs_blocks import marked_block
    from tests.groups.axis_factories import diagonal_rotations

    code = marked_block("docs/how-to/own-group.md", "own-group")
    namespace: dict = {}
    exec(compile(code, "docs/how-to/own-group.md", "exec"), namespace)
    ours, theirs = diagonal_rotations(), namespace["diagonal_rotations"]()
    assert torch.equal(ours.lie_algebra, theirs.lie_algebra)
    assert ours.summary() == theirs.summary() and ours.records() == theirs.records()
