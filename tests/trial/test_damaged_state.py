"""A damaged checkpoint: a trial restarts from its first epoch (and says so in ``error``), and
``load_model`` raises ModelStateError with one line; never a raw exception."""

import io
import pickle

import pytest
import torch

from pipeline.api import ModelStateError, Sweep
from pipeline.store import open_store, write_blob
from pipeline.sweep._trainable import load_state, save_state, state_name
from pipeline.trial import run_trial

CONFIG = {
    "dataset": {"name": "signals", "length": 16, "n_samples": 120},
    "epochs": 2,
    "batch_size": 32,
    "eval_samples": 2,
    "robustness": "none",
    "candidate_group": "shift16",
    "device": "cpu",
}


@pytest.fixture(scope="module")
def first_run():
    states = []
    result = run_trial(CONFIG, save=states.append)
    return result, states[0]  # the state after epoch 1


def damaged(state, **change):
    from dataclasses import replace

    return replace(state, **change)


@pytest.mark.parametrize(
    "change",
    [
        {"model": {"bogus.weight": torch.zeros(2)}},  # keys of another model
        {"optimizer": {"state": {}, "param_groups": []}},
        {"generators": {}},  # the training generator's state is missing
        {"epoch": 7},  # more epochs than the trial has
    ],
)
def test_a_damaged_state_restarts_the_trial_from_its_first_epoch(first_run, change):
    fresh, state = first_run
    result = run_trial(CONFIG, resume=damaged(state, **change))
    assert [row["epoch"] for row in result.epochs] == [1, 2]
    assert result.trial["val_metric"] == fresh.trial["val_metric"]  # seeded: the same run
    assert "saved state unusable" in result.trial["error"]
    assert "restarted from epoch 1" in result.trial["error"]


@pytest.mark.parametrize(
    "payload", [b"garbage", b"PK\x03\x04 truncated zip", pickle.dumps({"epoch": 1})]
)
def test_an_unreadable_state_is_a_reason_not_an_exception(tmp_path, payload):
    location = open_store(str(tmp_path / "store"))
    write_blob(location, state_name("s", "t1"), payload)
    reason = load_state(location, "s", "t1")
    assert isinstance(reason, str) and "\n" not in reason


def stored_trial(tmp_path, first_run):
    """One trial in the store (as ``trial --store`` leaves it) with the given state."""
    import json

    from pipeline.space import make_config
    from pipeline.store import StoreWriter

    location = open_store(str(tmp_path / "store"))
    writer = StoreWriter(location, "q", "t1", 1)
    writer.add(
        "trials",
        {
            "status": "completed",
            "val_metric": 0.5,
            "config_json": json.dumps(make_config(CONFIG).model_dump()),
        },
    )
    writer.flush()
    save_state(location, "q", "t1", first_run[1])
    return location


def test_load_model_of_a_sound_state_works(tmp_path, first_run):
    stored_trial(tmp_path, first_run)
    assert Sweep("q", str(tmp_path / "store")).load_model("t1").epoch == 1


@pytest.mark.parametrize("payload", ["garbage", "dict", "wrong model"])
def test_load_model_of_a_damaged_state_is_one_line(tmp_path, first_run, payload):
    location = stored_trial(tmp_path, first_run)
    buffer = io.BytesIO()
    if payload == "dict":
        torch.save({"epoch": 1}, buffer)
    elif payload == "wrong model":
        torch.save(damaged(first_run[1], model={"bogus": torch.zeros(1)}).to_dict(), buffer)
    else:
        buffer.write(b"garbage")
    write_blob(location, state_name("q", "t1"), buffer.getvalue())
    with pytest.raises(ModelStateError, match="damaged saved state") as refused:
        Sweep("q", str(tmp_path / "store")).load_model("t1")
    assert "\n" not in str(refused.value)
