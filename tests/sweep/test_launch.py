"""Sweeps in-process on one Ray: failures are recorded and the sweep goes on; grid sweeps."""

import pytest
import yaml

from pipeline.store import open_store, read_table
from pipeline.sweep import SweepOptions, prepare_sweep, start_sweep, sweep_status

MISBEHAVING = {
    "dataset": {"factory": "tests.trial_factories:misbehaving"},
    "trial": {"epochs": 2, "robustness": "none", "candidate_group": "trivial", "batch_size": 16},
    "search": {"data_seed": [0, 1, 2]},
    "searcher": "grid",
    "scheduler": {"name": "fifo"},
    "max_failures": 1,
}


def write_space(folder, space):
    path = folder / "space.yaml"
    path.write_text(yaml.safe_dump(space))
    return path


@pytest.mark.slow
def test_raising_and_diverging_trials_are_failed_with_their_errors(ray_session, outputs, tmp_path):
    store = str(tmp_path / "store")
    prepared = prepare_sweep(
        write_space(tmp_path, MISBEHAVING), SweepOptions(name="bad", store=store)
    )
    assert start_sweep(prepared) is True
    trials = read_table(open_store(store), "trials", "bad").to_pylist()
    by_seed = {_data_seed(t): t for t in trials}
    assert sorted(by_seed) == [0, 1, 2]
    assert by_seed[0]["status"] == "completed" and by_seed[0]["error"] is None
    assert by_seed[1]["status"] == "failed"
    assert "deliberate failure for data_seed 1" in by_seed[1]["error"]
    assert by_seed[2]["status"] == "failed" and "loss became" in by_seed[2]["error"]
    status = sweep_status(prepared.record)
    assert (status["completed"], status["failed"], status["not ended"]) == (1, 2, 0)
    assert status["best"]["trial_id"] == by_seed[0]["trial_id"]


def _data_seed(trial):
    import json

    return json.loads(trial["config_json"])["data_seed"]


@pytest.mark.slow
def test_asha_stops_weak_trials_and_the_store_says_stopped(ray_session, outputs, tmp_path):
    space = {
        "dataset": {"name": "signals", "length": 32, "transform": "shift", "n_samples": 200},
        "trial": {"epochs": 6, "robustness": "none"},
        "search": {"candidate_group": ["trivial", "shift32"], "seed": [0, 1, 2, 3]},
        "searcher": "grid",
        "scheduler": {"name": "asha", "grace_period": 1, "reduction_factor": 4},
        "max_concurrent": 1,  # one at a time: later trials meet a full rung and most stop
    }
    store = str(tmp_path / "store")
    prepared = prepare_sweep(write_space(tmp_path, space), SweepOptions(name="asha", store=store))
    assert prepared.record.budget == 8  # every combination once
    start_sweep(prepared)
    location = open_store(store)
    trials = read_table(location, "trials", "asha").to_pylist()
    assert len(trials) == 8
    stopped = [t for t in trials if t["status"] == "stopped"]
    assert stopped, "ASHA with reduction factor 4 stops some of 8 sequential trials"
    epochs = read_table(location, "epochs", "asha").to_pylist()
    for trial in stopped:
        seen = sorted(e["epoch"] for e in epochs if e["trial_id"] == trial["trial_id"])
        assert seen == list(range(1, trial["epochs"] + 1)) and trial["epochs"] < 6
        assert trial["test_metric"] is None and trial["val_metric"] is not None
    completed = [t for t in trials if t["status"] == "completed"]
    assert completed and all(t["epochs"] == 6 for t in completed)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"searcher": "bayes"}, "searcher"),
        ({"search": {"tolerance": [-0.1, 0.1]}}, "tolerance"),
        ({"resources": {"gpu": -1}}, "resources.gpu"),
        ({"search": {"candidate_group": ["SO2", "SO7"]}}, "candidate_group"),
        ({"schedular": {"name": "asha"}}, "schedular"),
        ({"search": {"candidate_group": ["SO2", "S4"]}}, "candidate_group"),
        (
            {
                "searcher": "grid",
                "search": {"reg": {"distribution": "uniform", "low": 0, "high": 1}},
            },
            "search.reg",
        ),
        ({"metric": "test_metric"}, "metric"),
    ],
)
def test_bad_spaces_are_refused_before_anything_starts(outputs, tmp_path, change, field):
    from pipeline.space import SpaceError

    space = {"dataset": {"name": "digits", "limit": 100}, **change}
    with pytest.raises(SpaceError, match=field.replace(".", r"\.")):
        prepare_sweep(
            write_space(tmp_path, space), SweepOptions(name="x", store=str(tmp_path / "s"))
        )
    assert not outputs.exists() and not (tmp_path / "s").exists()


def test_an_unwritable_store_is_refused_before_ray_starts(outputs, tmp_path, s3_endpoint):
    from pipeline.store import StoreError

    space = write_space(tmp_path, {"dataset": {"name": "signals", "n_samples": 100}})
    with pytest.raises(StoreError, match="cannot be written"):
        prepare_sweep(space, SweepOptions(name="w", store="s3://no-such-bucket-symsearch/store"))
    assert not outputs.exists()


def test_a_grace_period_longer_than_the_trials_means_no_early_stop():
    from pipeline.space import SearchSpace
    from pipeline.sweep._strategy import scheduler_for as _scheduler

    space = SearchSpace(
        dataset={"name": "digits"},
        trial={"epochs": 2},
        scheduler={"name": "asha", "grace_period": 5},
    )
    scheduler = _scheduler(space, "max")  # Ray itself refuses grace_period > max_t
    rungs = [milestone for milestone, _ in scheduler._brackets[0]._rungs]
    assert scheduler._max_t == 2 and rungs == [2]  # the only rung is the last epoch
