"""Trials trained as one batched model (``run_trials``) against the same trials trained alone:
per data kind, the same metrics to 1e-4 over a few epochs; members that stop, diverge or
resume leave or join the batch without touching the others."""

import copy
import functools
import io
import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from pipeline.errors import SymsearchError
from pipeline.trial import STOP, TIMING_FIELDS, BatchOptions, run_trial, run_trials
from pipeline.trial import _batched as batched_module
from pipeline.trial._stacked import StackedNetworks

TOLERANCE = 1e-4
SMALL = {
    "epochs": 3,
    "batch_size": 32,
    "eval_samples": 2,
    "val_samples": 2,
    "aug_warmup": 1,
    "discovery": "widths",  # the readout after training is each trial's own, batched or not
    "robustness": "none",
}
KINDS = {
    "image": {
        "dataset": {"name": "digits", "transform": "SO2", "limit": 120, "size": 12, "upsample": 12},
        "model": {"channels": [4], "hidden": 16},
        "candidate_group": "SO2",
    },
    "points": {
        "dataset": {"name": "pointclouds", "dim": 2, "transform": "rotate", "n_samples": 120},
        "model": {"hidden": 16, "layers": 1},
        "candidate_group": "SO2",
    },
    "sequence": {
        "dataset": {"name": "signals", "length": 16, "n_samples": 120},
        "model": {"channels": [4], "hidden": 16},
        "candidate_group": "shift16",
    },
    "lattice": {
        "dataset": {"name": "ising", "task": "ground_state", "size": 4, "n_samples": 60},
        "model": {"channels": [4]},
        "candidate_group": "flip",
        "symmetry_breaking": "sympe",
    },
}


def members(kind: str) -> list[dict]:
    """Three configurations of one kind: different seeds, learning rates and widths."""
    base = {**KINDS[kind], **SMALL}
    return [
        {**base, "seed": 0},
        {**base, "seed": 1, "lr": 0.01, "init_width": 0.2},
        {**base, "seed": 2, "lr": 0.001, "reg": 0.5},
    ]


def figures(result) -> list[float]:
    """Every number a trial's rows report per epoch and at the end, in a fixed order."""
    values = []
    for row in result.epochs:
        values += [row["train_loss"], row["val_metric"], *row["widths"]]
    values += [result.trial["test_metric"], *(d["learned_width"] for d in result.discovery)]
    return [float(v) for v in values]


def max_abs_diff(alone, batched) -> float:
    worst = 0.0
    for a, b in zip(alone, batched, strict=True):
        fa, fb = figures(a), figures(b)
        assert len(fa) == len(fb)
        worst = max([worst, *(abs(x - y) for x, y in zip(fa, fb, strict=True))])
    return worst


@functools.cache
def alone_results(kind: str) -> tuple:
    torch.use_deterministic_algorithms(True)
    try:
        return tuple(run_trial(c) for c in members(kind))
    finally:
        torch.use_deterministic_algorithms(False)


# each: each member's own network pass (auto's choice on a CPU); vmap: the vectorized pass
@pytest.mark.parametrize("forward", ["each", "vmap"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_batched_trial_equals_the_same_trial_alone(kind, forward):
    alone = alone_results(kind)
    torch.use_deterministic_algorithms(True)
    try:
        batched = run_trials(members(kind), options=BatchOptions(forward=forward))
    finally:
        torch.use_deterministic_algorithms(False)
    assert [r.trial["status"] for r in batched] == ["completed"] * 3
    assert [len(r.epochs) for r in batched] == [3, 3, 3]
    assert max_abs_diff(alone, batched) <= TOLERANCE
    # the members really differ: a batch that trained one network three times would not
    assert len({round(r.epochs[-1]["train_loss"], 6) for r in batched}) == 3
    for a, b in zip(alone, batched, strict=True):
        assert b.trial["config_json"] == a.trial["config_json"]
        assert b.trial["discovered_group"] == a.trial["discovered_group"]
        assert {k: v for k, v in b.trial.items() if k not in TIMING_FIELDS}.keys() == {
            k for k in a.trial if k not in TIMING_FIELDS
        }


def test_a_stopped_member_leaves_the_batch_and_the_others_go_on():
    configs = members("sequence")
    seen: list[list[int]] = [[], [], []]

    def reporter(i):
        def report(row):
            seen[i].append(row["epoch"])
            return STOP if i == 1 and row["epoch"] == 1 else None

        return report

    batched = run_trials(configs, [reporter(i) for i in range(3)])
    assert seen == [[1, 2, 3], [1], [1, 2, 3]]
    assert [r.trial["status"] for r in batched] == ["completed", "stopped", "completed"]
    assert batched[1].trial["epochs"] == 1 and batched[1].discovery == []
    alone = [run_trial(configs[0]), run_trial(configs[2])]
    assert max_abs_diff(alone, [batched[0], batched[2]]) <= TOLERANCE


def test_a_diverging_member_fails_alone(monkeypatch):
    built = batched_module.build

    def build(config, dataset=None):  # the member with seed 1 starts with a NaN width
        setup = built(config, dataset)
        if config.seed == 1:
            with torch.no_grad():
                for parameter in setup.augmentation.distribution_parameters():
                    parameter.fill_(math.nan)
        return setup

    monkeypatch.setattr(batched_module, "build", build)
    configs = members("sequence")
    batched = run_trials(configs)
    assert [r.trial["status"] for r in batched] == ["completed", "failed", "completed"]
    assert "epoch 1, batch 1" in batched[1].trial["error"] and batched[1].epochs == []
    alone = [run_trial(configs[0]), run_trial(configs[2])]
    assert max_abs_diff(alone, [batched[0], batched[2]]) <= TOLERANCE


def test_members_resume_from_their_own_states_at_different_epochs():
    configs = members("sequence")
    states: list[dict] = [{}, {}, {}]

    def keeper(i):
        return lambda state: states[i].setdefault(state.epoch, state)

    uninterrupted = run_trials(configs, saves=[keeper(i) for i in range(3)])
    resumed = run_trials(configs, resumes=[states[0][1], None, states[2][2]])
    assert max_abs_diff(uninterrupted, resumed) <= TOLERANCE
    assert run_trial(configs[0], resume=states[0][2]).trial["status"] == "completed"


def test_trials_that_do_not_share_data_and_network_are_refused():
    configs = members("sequence")
    configs[1] = {**configs[1], "batch_size": 16}
    with pytest.raises(SymsearchError, match=r"batch_trials: .*batch_size"):
        run_trials(configs)


def test_amp_is_ignored_off_cuda_and_changes_nothing():
    configs = members("sequence")[:2]
    plain = run_trials(configs)
    amp = run_trials(configs, options=BatchOptions(amp=True))
    assert max_abs_diff(plain, amp) == 0.0


def _adam_member(net: nn.Module, lr: float, decay: float) -> SimpleNamespace:
    groups = [{"params": list(net.parameters()), "lr": lr, "weight_decay": decay}]
    return SimpleNamespace(setup=SimpleNamespace(model=net), optimizer=torch.optim.Adam(groups))


def test_the_stacked_adam_step_is_each_members_own_torch_adam():
    torch.manual_seed(0)
    x = torch.randn(5, 3)
    nets = [nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)) for _ in range(3)]
    for net in nets:  # a frozen parameter: Adam never touches it
        net[2].bias.requires_grad_(False)
    frozen = [net[2].bias.clone() for net in nets]
    rates = [(0.01, 0.0), (0.001, 0.1), (0.03, 0.0)]  # (learning rate, weight decay)
    batch = [_adam_member(n, lr, d) for n, (lr, d) in zip(nets, rates, strict=True)]
    for _ in range(4):  # member 2 resumes at step 4: its own step count and moments
        batch[2].optimizer.zero_grad()
        nets[2](x).square().sum().backward()
        batch[2].optimizer.step()
    alone = []
    for member in batch:
        net = copy.deepcopy(member.setup.model)
        group = member.optimizer.param_groups[0]
        twin = _adam_member(net, group["lr"], group["weight_decay"])
        twin.optimizer.load_state_dict(copy.deepcopy(member.optimizer.state_dict()))
        alone.append(twin)
    stacks = StackedNetworks()
    stacks.keep(batch)
    for rows in ([0, 1, 2], [0, 2], [0, 1, 2]):  # member 1 sits the second step out
        stacks.zero_grad()
        sum(m.setup.model(x).square().sum() for m in batch).backward()
        stacks.adam_step(None if len(rows) == 3 else rows)
        for i in rows:
            alone[i].optimizer.zero_grad()
            alone[i].setup.model(x).square().sum().backward()
            alone[i].optimizer.step()
    stacks.keep(batch[1:])  # member 0 leaves: later steps leave it as it is
    left = copy.deepcopy(nets[0].state_dict())
    stacks.zero_grad()
    sum(m.setup.model(x).square().sum() for m in batch[1:]).backward()
    stacks.adam_step()
    for twin in alone[1:]:
        twin.optimizer.zero_grad()
        twin.setup.model(x).square().sum().backward()
        twin.optimizer.step()
    assert all(torch.equal(v, nets[0].state_dict()[k]) for k, v in left.items())
    for member, twin in zip(batch, alone, strict=True):
        pairs = zip(member.setup.model.parameters(), twin.setup.model.parameters(), strict=True)
        for mine, theirs in pairs:
            assert torch.allclose(mine, theirs, atol=1e-6, rtol=0)
        ours, reference = member.optimizer.state_dict(), twin.optimizer.state_dict()
        for key, state in reference["state"].items():
            assert float(ours["state"][key]["step"]) == float(state["step"])
            for name in ("exp_avg", "exp_avg_sq"):
                assert torch.allclose(ours["state"][key][name], state[name], atol=1e-6, rtol=0)
    assert [float(m.optimizer.state_dict()["state"][0]["step"]) for m in batch] == [3, 3, 8]
    assert all(torch.equal(n[2].bias, f) for n, f in zip(nets, frozen, strict=True))
    assert "2.bias" not in stacks.params


def test_a_batched_members_checkpoint_holds_only_its_own_state():
    configs = members("sequence")
    batched: list[list] = [[], [], []]
    run_trials(configs, saves=[batched[i].append for i in range(3)])
    alone: list = []
    run_trial(configs[1], save=alone.append)

    def size(state) -> int:
        buffer = io.BytesIO()
        torch.save(state.to_dict(), buffer)
        return len(buffer.getvalue())

    assert [size(s) for s in batched[1]] == [size(s) for s in alone]
    last, own = batched[1][-1], alone[-1]
    assert last.optimizer["param_groups"] == own.optimizer["param_groups"]
    for key, value in own.model.items():
        assert torch.allclose(last.model[key], value, atol=1e-5, rtol=0)
