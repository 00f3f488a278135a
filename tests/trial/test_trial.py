"""run_trial end to end on tiny data: result rows, determinism, divergence, no ray."""

import json
import subprocess
import sys

import pytest
import torch

from pipeline.space import make_config
from pipeline.trial import TIMING_FIELDS, Setup, build, make_optimizer, run_trial

TINY = {
    "dataset": {"name": "signals", "length": 16, "n_samples": 120},
    "candidate_group": "shift16",
    "epochs": 2,
    "batch_size": 32,
    "eval_samples": 2,
}
TRIALS_COLUMNS = [
    "status",
    "error",
    "dataset",
    "true_group",
    "candidate_group",
    "prior",
    "init_width",
    "reg",
    "tolerance",
    "n_samples",
    "symmetry_breaking",
    "lr",
    "seed",
    "epochs",
    "metric_name",
    "val_metric",
    "test_metric",
    "equivariance_error",
    "discovered_group",
    "discovery_correct",
    "tolerance_met",
    "train_seconds",
    "device",
    "node",
    "config_json",
    "finished_at",
]


def without_timings(value):
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in TIMING_FIELDS}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


@pytest.fixture(scope="module")
def tiny_result():
    reports = []
    return run_trial(TINY, reports.append), reports


def test_result_has_the_store_columns_and_reports_every_epoch(tiny_result):
    result, reports = tiny_result
    assert set(TRIALS_COLUMNS) <= set(result.trial)
    assert result.trial["status"] == "completed" and result.trial["epochs"] == 2
    assert [r["epoch"] for r in reports] == [1, 2] == [e["epoch"] for e in result.epochs]
    assert {"train_loss", "val_metric", "widths", "seconds"} <= set(reports[0])
    assert [d["generator"] for d in result.discovery] == ["shift1"]
    assert result.discovery[0]["true_active"] is True
    magnitudes = {r["magnitude"] for r in result.robustness if r["shift"] == "shift1"}
    assert magnitudes == set(range(9)) and {r["averaged"] for r in result.robustness} == {
        False,
        True,
    }
    assert json.loads(result.trial["config_json"])["candidate_group"] == "shift16"


@pytest.mark.slow
def test_same_config_and_seed_give_the_same_result(tiny_result):
    again = run_trial(TINY)
    assert without_timings(again.to_dict()) == without_timings(tiny_result[0].to_dict())
    other = run_trial({**TINY, "seed": 1})
    assert without_timings(other.to_dict()) != without_timings(again.to_dict())


def test_divergence_fails_the_trial_with_the_reason():
    config = {
        "dataset": {"factory": "tests.trial_factories:exploding"},
        "epochs": 3,
        "candidate_group": "SO2",
    }
    result = run_trial(config)
    assert result.trial["status"] == "failed"
    assert "loss became inf" in result.trial["error"] or "loss became nan" in result.trial["error"]
    assert result.robustness == [] and result.trial["test_metric"] is None


@pytest.mark.parametrize("candidate", ["shift16", "learned1"])
def test_weight_decay_never_touches_the_augmentation(candidate):
    dataset = (
        TINY["dataset"] if candidate == "shift16" else {"name": "pointclouds", "n_samples": 40}
    )
    setup: Setup = build(
        make_config(
            {
                **TINY,
                "dataset": dataset,
                "candidate_group": candidate,
                "weight_decay": 0.1,
                "basis_lr": 0.07,
            }
        )
    )
    groups = make_optimizer(setup).param_groups
    augmentation_ids = {id(p) for p in setup.augmentation.parameters()}
    seen = set()
    for group in groups:
        ids = {id(p) for p in group["params"]}
        if ids & augmentation_ids:
            assert ids <= augmentation_ids and group["weight_decay"] == 0.0
            seen |= ids
        elif ids:
            assert group["weight_decay"] == 0.1
    assert seen == augmentation_ids
    basis = [g for g in groups if any(p is setup.augmentation.basis for p in g["params"])]
    assert candidate == "shift16" or (len(basis[0]["params"]) == 1 and basis[0]["lr"] == 0.07)


def test_equivariant_regression_moves_targets_and_reads_out():
    config = {
        "dataset": {"name": "twobody", "n_samples": 100},
        "candidate_group": "O2",
        "epochs": 1,
        "eval_samples": 2,
        "robustness": "true_group",
    }
    result = run_trial(config)
    assert result.trial["status"] == "completed" and result.trial["metric_name"] == "mse"
    assert [d["generator"] for d in result.discovery] == ["rot", "mirror"]
    assert all(d["true_active"] for d in result.discovery)


@pytest.mark.slow
def test_run_trial_never_imports_ray():
    code = (
        "import sys, json; from pipeline.trial import run_trial; "
        f"run_trial({json.dumps(TINY)}); print('ray' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_candidate_that_cannot_act_on_the_data_is_a_config_error():
    from pipeline.space import SpaceError

    with pytest.raises(SpaceError, match="candidate_group: SO3 does not act on sequence"):
        run_trial({**TINY, "candidate_group": "SO3"})


def test_models_are_initialized_without_touching_global_randomness():
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    build(make_config(TINY))
    assert torch.equal(torch.rand(1), expected)


@pytest.mark.slow
def test_zero_tolerance_averages_exactly_over_a_finite_candidate():
    result = run_trial({**TINY, "tolerance": 0.0})
    assert result.trial["n_samples"] == 16 and result.trial["tolerance"] == 0.0
    assert result.trial["equivariance_error"] < 1e-5 and result.trial["tolerance_met"] is True


def test_no_tolerance_leaves_tolerance_met_null(tiny_result):
    assert tiny_result[0].trial["tolerance_met"] is None


def test_exact_averaging_over_a_continuous_group_does_not_meet_its_tolerance():
    config = {
        "dataset": {"name": "pointclouds", "n_points": 8, "n_samples": 40},
        "candidate_group": "SO2",
        "tolerance": 0.0,
        "epochs": 1,
        "robustness": "none",
    }
    result = run_trial(config)
    assert result.trial["status"] == "completed", result.trial["error"]
    assert result.trial["n_samples"] == 360 and result.trial["tolerance_met"] is False


def test_learned_candidates_report_cosines():
    config = {
        "dataset": {"name": "pointclouds", "n_samples": 100},
        "candidate_group": "learned1",
        "epochs": 1,
        "robustness": "none",
    }
    rows = run_trial(config).discovery
    assert [r["generator"] for r in rows] == ["L0"]
    assert 0 <= rows[0]["cosine"] <= 1 and rows[0]["true_active"] is None


class Crash(Exception):
    pass


@pytest.mark.parametrize(
    "config",
    [
        {**TINY, "epochs": 4},
        {
            "dataset": {"name": "ising", "task": "ground_state", "n_samples": 60},
            "symmetry_breaking": "sympe",
            "epochs": 4,
            "eval_samples": 1,
            "val_samples": 1,
            "robustness": "none",
        },
        {
            "dataset": {"name": "pointclouds", "n_samples": 60},
            "candidate_group": "learned1",
            "epochs": 4,
            "aug_warmup": 0,
            "basis_warmup": 2,
            "robustness": "none",
        },
    ],
    ids=["signals", "sympe", "learned_release"],
)
@pytest.mark.slow
def test_a_resumed_trial_ends_exactly_as_an_uninterrupted_one(config):
    straight = run_trial(config)
    saved = []

    def save_then_crash(state):
        saved.append(state)
        if state.epoch == 2:
            raise Crash

    with pytest.raises(Crash):
        run_trial(config, save=save_then_crash)
    reports = []
    resumed = run_trial(config, reports.append, resume=saved[-1])
    assert [r["epoch"] for r in reports] == [3, 4]  # continued, not restarted
    assert without_timings(resumed.to_dict()) == without_timings(straight.to_dict())


@pytest.mark.slow
def test_a_learned_generator_finds_rotation_and_keeps_its_reach():
    config = {
        "dataset": {"name": "digits", "transform": "SO2", "limit": 900},
        "candidate_group": "learned1",
        "epochs": 20,
        "robustness": "none",
        "eval_samples": 4,
        "val_samples": 2,
    }
    (row,) = run_trial(config).discovery
    assert row["active"] and row["cosine"] >= 0.95
