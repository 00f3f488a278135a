"""Building datasets: determinism, option checking, and bring-your-own factories."""

import pytest
import torch

from pipeline.data import BUILTIN, DatasetError, build_dataset
from pipeline.groups import get_group
from pipeline.testing import assert_invariant

DEFAULTS = [
    "digits",
    "pointclouds",
    "signals",
    "twobody",
    "ising",
    {"name": "pointclouds", "dim": 3},
    {"name": "ising", "task": "ground_state"},
]


def _tensors(dataset):
    return [
        t
        for split in (dataset.train, dataset.val, dataset.test)
        for t in (split.inputs, split.targets)
    ]


@pytest.mark.parametrize("spec", DEFAULTS, ids=str)
def test_same_seed_same_splits_other_seed_other_splits(spec):
    first, again, other = (build_dataset(spec, seed) for seed in (0, 0, 1))
    assert all(torch.equal(a, b) for a, b in zip(_tensors(first), _tensors(again), strict=True))
    changed = [not torch.equal(a, b) for a, b in zip(_tensors(first), _tensors(other), strict=True)]
    assert any(changed)  # ground-state inputs are all zero whatever the seed; targets are not
    assert len(first.train) > len(first.val) > 0 and len(first.test) > 0


@pytest.mark.parametrize("spec", DEFAULTS, ids=str)
def test_declared_metadata_is_consistent(spec):
    data = build_dataset(spec, seed=0)
    assert data.kind in data.group().acts_on
    if data.task == "classification":
        assert data.num_classes and set(data.train.targets.unique().tolist()) <= set(
            range(data.num_classes)
        )
    declared = {v.true_group for v in BUILTIN[data.name].variants}
    assert data.true_group in declared


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "digitz"}, "unknown dataset 'digitz'"),
        ({"name": "digits", "transfrom": "SO2"}, "unknown option 'transfrom'"),
        ({"name": "digits", "transform": "SO3"}, "digits.transform must be one of"),
        ({"name": "digits", "max_angle": "big"}, "digits.max_angle must be float"),
        ({"name": "digits", "max_angle": 400}, "max_angle must be in"),
        ({"name": "signals", "length": 3.5}, "signals.length must be int"),
        ({"name": "signals", "length": True}, "signals.length must be int"),
        ({"name": "ising", "task": "ground_state", "field": 1.0}, "task=energy only"),
        ({"name": "digits", "factory": "x:y"}, "either name or factory"),
        (["digits"], "must be a name or a mapping"),
    ],
)
def test_bad_specs_raise_one_line_naming_the_field(spec, message):
    with pytest.raises(DatasetError, match=message) as info:
        build_dataset(spec, seed=0)
    assert "\n" not in str(info.value)


def test_a_factory_builds_a_user_dataset_with_its_options():
    spec = {"factory": "tests.data.custom_factory:make_rings", "n_samples": 100, "n_points": 8}
    data = build_dataset(spec, seed=3)
    assert data.name == "rings" and len(data.train) == 60 and data.train.inputs.shape[1:] == (8, 2)
    assert data.options == {"n_samples": 100, "n_points": 8}
    radius = lambda pts: pts.norm(dim=-1).mean(dim=-1)  # noqa: E731
    assert_invariant(radius, get_group("SO2*S8"), "points", data.test.inputs, atol=1e-5)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        ("tests.data.nowhere:make", "cannot import 'tests.data.nowhere'"),
        ("tests.data.custom_factory:missing", "has no function 'missing'"),
        ("tests.data.custom_factory:NOT_CALLABLE", "has no function 'NOT_CALLABLE'"),
        (
            "tests.data.custom_factory:returns_a_list",
            "returned list, expected pipeline.data.Dataset",
        ),
        ("tests.data.custom_factory:raises", "failed: RuntimeError: disk on fire"),
        ("tests.data.custom_factory:bad_group", r"true_group: unknown group 'SO\(2\)'"),
        ("no_colon_here", "must look like 'package.module:function'"),
        (":", "give it as module:function"),
        ("tests.data.custom_factory:", "give it as module:function"),
        (".relative:make", "cannot import '.relative'"),
    ],
)
def test_broken_factories_give_one_clear_error(factory, message):
    with pytest.raises(DatasetError, match=message) as info:
        build_dataset({"factory": factory}, seed=0)
    assert "\n" not in str(info.value)
