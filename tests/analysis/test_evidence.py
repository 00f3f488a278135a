"""The sweep's answer from its data tests (a store with a known answer): the headline names what
the data test found, trials never vote on the data, a probe is never a candidate, and "matches
the declared group" is said only when it does."""

import json

import pytest

from pipeline.analysis import analyze
from pipeline.analysis._evidence import encoding_effect
from pipeline.analysis._report import verdict_sentence
from pipeline.analysis._summaries import probe_ids
from pipeline.store import StoreWriter, open_store

AFFINE2 = ("tx", "ty", "rot", "scale", "stretch", "shear")


def _write(url: str, sweep: str, true_group: str, repeats_rot: list[bool]) -> None:
    """Data tests of affine2 (rot present in the given repeats, the rest absent), trials of
    trivial and SO2 whose widths say the opposite of the data test, and a one-epoch probe at
    chance with the best validation metric of all."""
    store = open_store(url)
    writer = StoreWriter(store, sweep, "data-test-000000000001", 1)
    for seed, rot in enumerate(repeats_rot):
        for name in AFFINE2:
            present = rot if name == "rot" else False
            writer.add(
                "data_tests",
                {
                    "dataset": "digits",
                    "data_seed": 0,
                    "candidate_group": "affine2",
                    "test_seed": seed,
                    "generator": name,
                    "present": present,
                    "p_value": 1e-9 if present else 0.9,
                    "extent": 180.0 if present else 0.06,
                    "extent_unit": "degrees" if name == "rot" else "side",
                    "tv": [0.0, 0.1],
                    "magnitudes": [30.0, 60.0],
                    "discovered_group": "SO2" if rot else "trivial",
                    "true_present": name == "rot" and true_group == "SO2",
                },
            )
    writer.flush()
    configs = [
        ("p", "affine2", 0.99, 1, "test"),
        ("a", "trivial", 0.80, 20, "test"),
        ("b", "SO2", 0.95, 20, "test"),
        ("c", "SO2", 0.90, 20, "test"),
    ]
    for trial_id, candidate, val, epochs, discovery in configs:
        writer = StoreWriter(store, sweep, trial_id, 1)
        writer.add(
            "trials",
            {
                "status": "completed",
                "dataset": "digits",
                "true_group": true_group,
                "candidate_group": candidate,
                "seed": 0,
                "metric_name": "accuracy",
                "metric_mode": "max",
                "val_metric": val,
                "val_size": 400,
                "epochs": epochs,
                "discovered_group": "SO2",
                "model_group": "trivial",
                "config_json": json.dumps({"epochs": epochs, "discovery": discovery}),
            },
        )
        for epoch in range(1, min(epochs, 3) + 1):  # a few epochs: the curves' rows
            writer.add(
                "epochs",
                {
                    "epoch": epoch,
                    "val_metric": val - 0.1 / epoch,
                    "normalized_widths": [0.2 * epoch] * (6 if candidate == "affine2" else 0)
                    + ([0.3 * epoch] if candidate == "SO2" else []),
                },
            )
        if candidate == "SO2":  # the model never used the rotation: a width far below
            writer.add(
                "discovery",
                {
                    "generator": "rot",
                    "active": True,
                    "used_by_model": False,
                    "present": True,
                    "true_active": True,
                },
            )
        writer.flush()


@pytest.fixture(scope="module")
def answered(tmp_path_factory):
    url = str(tmp_path_factory.mktemp("evidence") / "store")
    _write(url, "ok", "SO2", [True, True, False])
    _write(url, "wrong", "trivial", [True, True, True])
    out = tmp_path_factory.mktemp("out")
    return {
        name: analyze(open_store(url), name, out / name, say=lambda m: None)
        for name in ("ok", "wrong")
    }


def test_the_headline_names_what_the_data_test_found_with_its_repeats(answered):
    found = answered["ok"]
    sentence = verdict_sentence(found.verdict, "accuracy")
    assert sentence.startswith("**The data have SO2**")
    assert "2 of 3 repeats agree" in sentence
    assert "This matches the declared group, SO2." in sentence
    rot = found.tables["generator_verdicts"].set_index("generator").loc["rot"]
    assert (rot["verdict"], rot["agreeing"], rot["repeats"]) == ("present", 2, 3)
    assert rot["agreement_low"] == pytest.approx(0.2077, abs=1e-3)  # Wilson, 2 of 3
    assert rot["evidence"] == "data test"
    assert rot["used_by_model"] == pytest.approx(0.0)  # the widths, kept apart
    assert found.report.read_text().startswith("# Sweep `ok`: analysis\n\n**The data have SO2**")


def test_matches_is_said_only_when_the_declared_group_is_found(answered):
    sentence = verdict_sentence(answered["wrong"].verdict, "accuracy")
    assert "matches the declared group" not in sentence
    assert "The declared group is trivial: this does not match it." in sentence


def test_a_probe_is_never_a_candidate_and_the_task_is_reported_apart(answered):
    found = answered["ok"]
    candidates = found.tables["candidate_summary"].set_index("candidate_group")
    assert "affine2" not in candidates.index  # its only trial was the probe
    assert found.verdict["winner"] == "SO2"
    assert candidates.loc["SO2", "best_val_metric"] == pytest.approx(0.95)
    low, high = candidates.loc["SO2", ["val_low", "val_high"]]
    assert low < 0.95 < high  # Wilson over the 400 validation examples
    assert "Encoding SO2 helped" in found.verdict["encoding"]


def test_probe_ids_need_a_shorter_test_forced_trial():
    import pandas as pd

    trials = pd.DataFrame(
        {
            "trial_id": ["p", "a"],
            "config_json": [
                json.dumps({"epochs": 1, "discovery": "test"}),
                json.dumps({"epochs": 20}),
            ],
        }
    )
    assert probe_ids(trials) == {"p"}
    same = trials.assign(config_json=[json.dumps({"epochs": 1, "discovery": "test"})] * 2)
    assert probe_ids(same) == set()  # every trial one epoch long: none is a probe


def test_encoding_effect_needs_separated_intervals():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "candidate_group": ["trivial", "SO2"],
            "best_val_metric": [0.8, 0.82],
            "val_low": [0.76, 0.78],
            "val_high": [0.84, 0.86],
        }
    )
    assert "made no clear difference" in encoding_effect(frame, "SO2", "max")
    assert encoding_effect(frame, "C4", "max") is None
