"""Data kinds as records (pipeline.kinds): every registered record is complete, an unknown kind
is one clear error, and a kind registered outside pipeline/ (here, in the test) is read by every
stage (groups, actions, datasets, backbones, the data test's reader, shifts, a whole trial)
without an edit to the package."""

import dataclasses
import importlib

import pytest
import torch
from torch import nn

from pipeline.actions import act
from pipeline.data import Dataset, DatasetError, shift_grid
from pipeline.groups import get_group
from pipeline.groups._user import DOMAIN_DIMS
from pipeline.kinds import (
    BUILTIN,
    KindError,
    KindRecord,
    UnknownKindError,
    is_kind,
    kind_names,
    kind_record,
    register_kind,
    resolve,
    unregister_kind,
)
from pipeline.models import build_model

HIDDEN = 128  # the readers' feature width (pipeline.discovery)
EXAMPLES = {  # one example shape per built-in kind
    "image": (1, 12, 12),
    "points": (6, 2),
    "sequence": (1, 16),
    "lattice": (8, 8),
}


def test_the_builtin_kinds_are_registered_in_the_order_messages_list_them():
    assert kind_names()[: len(BUILTIN)] == ("lattice", "image", "sequence", "points")
    assert set(EXAMPLES) == {r.name for r in BUILTIN}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_builtin_record_is_complete(name):
    record = kind_record(name)
    assert record.layout.startswith("(B, ") and record.description
    assert record.actions and set(record.actions) <= set(DOMAIN_DIMS)
    for domain in record.actions:
        assert callable(record.action(domain))
    assert dataclasses.is_dataclass(record.options_type())
    shape = EXAMPLES[name]
    x = torch.randn(3, *shape)
    net = record.backbone_builder()(record.options_type()(), shape, 4, None)
    assert isinstance(net, nn.Module) and net(x).shape == (3, 4)
    trunk = record.trunk_builder()(shape)
    assert trunk(x).shape == (3, HIDDEN)
    assert record.basis_start in ("data", "random")
    assert not record.sympe or record.grid_dims > 0
    assert len(shape) in (record.grid_dims, record.grid_dims + 1) or not record.grid_dims


@pytest.mark.parametrize("record", BUILTIN, ids=lambda r: r.name)
def test_builtin_references_name_what_a_package_exports(record):
    """The lazy references obey the import rule (tests/test_layers.py): a public name of a
    package (no private module or name), in a layer at or above the kinds'."""
    refs = [*record.actions.values(), record.model_options, record.backbone, record.reader_trunk]
    for ref in refs:
        module, name = ref.split(":")
        assert not any(p.startswith("_") for p in [*module.split("."), name]), ref
        assert name in importlib.import_module(module).__all__, ref
        assert resolve(ref, "test") is getattr(importlib.import_module(module), name)


def test_an_unknown_kind_is_one_clear_error():
    with pytest.raises(UnknownKindError, match=r"unknown data kind 'video'; expected one of "):
        kind_record("video")
    with pytest.raises(ValueError, match="image, sequence, points"):  # a ValueError too
        kind_record("video")
    assert not is_kind("video") and not is_kind(None)
    with pytest.raises(ValueError, match="unknown data kind"):
        act(get_group("SO2"), torch.eye(3), torch.randn(1, 1, 4, 4), "video")
    with pytest.raises(DatasetError, match="kind must be one of lattice, image"):
        _dataset(torch.randn(20, 6, 2), "video", "trivial")
    with pytest.raises(UnknownKindError):
        build_model("video", "classification", (6, 2), 2, None, {})


def test_a_broken_record_is_refused_in_one_line():
    good = dataclasses.asdict(kind_record("points"))
    with pytest.raises(KindError, match="backbone must be a callable or 'module:name'"):
        KindRecord(**{**good, "backbone": "no colon"})
    with pytest.raises(KindError, match="SymPE needs a grid"):
        KindRecord(**{**good, "sympe": True})
    with pytest.raises(KindError, match="name is lowercase"):
        KindRecord(**{**good, "name": "Point Sets"})
    broken = KindRecord(**{**good, "name": "broken", "backbone": "pipeline.models:nowhere"})
    with pytest.raises(KindError, match="broken data's backbone: cannot load"):
        broken.backbone_builder()
    with pytest.raises(KindError, match="no circle group acts on points data"):
        kind_record("points").action("circle")
    with pytest.raises(KindError, match="already registered"):
        register_kind(dataclasses.replace(kind_record("points"), layout="(B, k, n)"))


# -- a new kind, registered by the test alone ----------------------------------------------------


def _negate(g: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The sign domain's action: g is (B, 1, 1), +-1."""
    return x * g.reshape(-1, 1, 1)


# Node signals (B, n, c) on the n nodes of a complete graph: permutations relabel the nodes, sign
# flips negate the signals. Its actions, backbone and reader are a mix of a callable of its own
# and names of existing ones: a new kind is this one record.
NODES = KindRecord(
    name="nodes",
    layout="(B, n, c)",
    actions={"perm": "pipeline.actions:permute_points", "sign": _negate},
    model_options="pipeline.models:PointsConfig",
    backbone="pipeline.models:points_backbone",
    reader_trunk="pipeline.discovery:points_trunk",
    basis_start="random",
    description="signals on the nodes of a complete graph",
)


@pytest.fixture
def nodes():
    register_kind(NODES)
    yield NODES
    unregister_kind("nodes")


def _dataset(x: torch.Tensor, kind: str, true_group: str, seed: int = 0) -> Dataset:
    labels = (x.sum(dim=(1, 2)) > 0).long()  # invariant under relabelling, not under a flip
    return Dataset.from_tensors(
        x,
        labels,
        seed,
        name="toy",
        kind=kind,
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group=true_group,
        num_classes=2,
    )


def nodes_dataset(options: dict, seed: int) -> Dataset:
    """A ``factory:`` for the trial below."""
    rng = torch.Generator().manual_seed(seed)
    return _dataset(torch.randn(options.get("n_samples", 60), 6, 2, generator=rng), "nodes", "S6")


def test_a_registered_kind_is_acted_on_by_the_groups_of_its_domains(nodes):
    assert "nodes" in kind_names() and kind_record("nodes") is nodes
    assert {"nodes", "points"} <= get_group("S6").acts_on  # parsed after the registration
    assert "nodes" in get_group("S6*flip").acts_on and "nodes" in get_group("trivial").acts_on
    assert "nodes" not in get_group("SO2").acts_on  # no plane action
    group = get_group("S6*flip")
    x = torch.randn(4, 6, 2)
    g = group.sample(4, torch.Generator().manual_seed(0))
    moved = act(group, g, x, "nodes")
    assert torch.allclose(moved.abs().sort(dim=1).values, x.abs().sort(dim=1).values)
    h = group.sample(4, torch.Generator().manual_seed(1))
    assert torch.allclose(
        act(group, g, act(group, h, x, "nodes"), "nodes"), act(group, g @ h, x, "nodes")
    )


def test_a_registered_kind_builds_datasets_models_readers_and_shifts(nodes):
    data = nodes_dataset({}, 0)
    assert data.kind == "nodes" and data.group().name == "S6"
    assert data.learned_domain == "plane"
    net = build_model("nodes", "classification", (6, 2), 2, None, {"hidden": 16})
    assert net(data.train.inputs).shape == (len(data.train), 2)
    from pipeline.discovery._readers import Reader

    reader = Reader("nodes", (6, 2), 2, [3, 2])
    assert [o.shape for o in reader(data.train.inputs[:5], torch.zeros(5, 2))] == [(5, 3), (5, 2)]
    shifts = shift_grid(get_group("S6*flip"), "nodes")
    assert {s.unit for s in shifts} == {"power"} and len(shifts) > 2


def test_a_registered_kind_runs_a_whole_trial(nodes):
    from pipeline.trial import run_trial

    result = run_trial(
        {
            "dataset": {"factory": "tests.kinds.test_kinds:nodes_dataset", "n_samples": 60},
            "candidate_group": "S6*flip",
            "model": {"hidden": 16},
            "epochs": 1,
            "batch_size": 32,
            "eval_samples": 2,
        }
    )
    assert result.trial["status"] == "completed", result.trial["error"]
    assert result.trial["candidate_group"] == "S6*flip"


def test_a_forgotten_kind_is_unknown_again_and_groups_forget_it(nodes):
    assert "nodes" in get_group("S6").acts_on
    unregister_kind("nodes")
    try:
        assert "nodes" not in get_group("S6").acts_on
        with pytest.raises(UnknownKindError):
            kind_record("nodes")
    finally:
        register_kind(NODES)  # the fixture forgets it again
