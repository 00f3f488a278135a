"""batch_trials: batched Ray trials, their searcher (GroupSearch), their per-member rungs, and
a batched sweep's store (each configuration once, under its own id, as it would train alone)."""

import json
import random
import re

import pytest
import yaml
from ray.tune.search import Searcher

from pipeline.sweep._batching import Rungs, chunks, member_ids
from pipeline.sweep._groups import GroupSearch
from tests.sweep.helpers import symsearch


class FakeTrial:
    def __init__(self, trial_id):
        self.trial_id = trial_id


def test_rungs_decide_as_rays_asha_bracket():
    from ray.tune.schedulers.async_hyperband import _Bracket

    rungs = Rungs("val_metric", "max", grace_period=1, reduction_factor=2, max_t=8)
    assert rungs.milestones() == [1, 2, 4, 8]
    bracket = _Bracket(1, 8, 2, 0)
    rng = random.Random(0)
    recorded: dict[int, list[float]] = {}
    stopped = set()
    decisions = 0
    for epoch in range(1, 9):
        for trial in range(12):
            if trial in stopped:
                continue
            value = rng.random()
            ray_stops = bracket.on_result(FakeTrial(trial), epoch, value) == "STOP"
            ours = epoch in rungs.milestones() and rungs.stops(value, recorded.get(epoch, []))
            if epoch in rungs.milestones():
                recorded.setdefault(epoch, []).append(value)
                decisions += 1
            assert ours == ray_stops, (epoch, trial)
            if ours:
                stopped.add(trial)
    assert stopped and decisions > 12
    low = Rungs("train_loss", "min", 1, 2, 8)
    assert low.stops(0.9, [0.1, 0.2]) and not low.stops(0.05, [0.1, 0.2])
    assert not low.stops(None, [0.1]) and not low.stops(0.5, [])


class FakeSearcher(Searcher):
    """Draws lr = 1, 2, ...; waits (None) after ``wait_after`` draws until a result arrives."""

    def __init__(self, wait_after=100):
        super().__init__(metric="val_metric", mode="max")
        self.wait_after, self.draws, self.calls = wait_after, 0, []

    def suggest(self, trial_id):
        if self.draws >= self.wait_after:
            return None
        self.draws += 1
        self.calls.append(("suggest", trial_id))
        return {"lr": self.draws}

    def on_trial_result(self, trial_id, result):
        self.calls.append(("result", trial_id))

    def on_trial_complete(self, trial_id, result=None, error=False):
        self.calls.append(("complete", trial_id, error))


def test_group_search_batches_draws_under_member_ids_and_routes_their_results():
    inner = FakeSearcher()
    search = GroupSearch(inner, size=3, budget=5)
    assert search.suggest("a") == {"members": [{"lr": 1}, {"lr": 2}, {"lr": 3}]}
    assert search.suggest("b") == {"members": [{"lr": 4}, {"lr": 5}]}  # the budget's rest
    assert search.suggest("c") == Searcher.FINISHED
    assert [c[1] for c in inner.calls] == ["a-m0", "a-m1", "a-m2", "b-m0", "b-m1"]
    inner.calls.clear()
    search.on_trial_result("a", {"member": 1, "epoch": 1, "val_metric": 0.5})
    search.on_trial_result("a", {"member": 1, "epoch": 2, "trial_status": "stopped"})
    search.on_trial_complete("a")  # the batch ended; m0 and m2 sent no final: failed
    assert inner.calls == [
        ("result", "a-m1"),
        ("complete", "a-m1", False),
        ("complete", "a-m0", True),
        ("complete", "a-m2", True),
    ]
    waiting = GroupSearch(FakeSearcher(wait_after=1), size=4, budget=10)
    assert waiting.suggest("x") == {"members": [{"lr": 1}]}  # what the searcher has now
    assert waiting.suggest("y") is None


def test_member_ids_and_grid_chunks():
    assert member_ids("t", {"lr": 1}) == ["t"]
    assert member_ids("t", {"members": [{}, {}]}) == ["t-m0", "t-m1"]
    assert chunks([{"a": i} for i in range(5)], 2) == [
        [{"a": 0}, {"a": 1}],
        [{"a": 2}, {"a": 3}],
        [{"a": 4}],
    ]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"batch_trials": 0}, "batch_trials"),
        ({"batch_trials": "many"}, "batch_trials"),
        ({"batch_trials": 4, "scheduler": {"name": "asha", "brackets": 2}}, "one ASHA bracket"),
        ({"batch_trials": 4, "loggers": ["tensorboard"]}, "batch_trials: loggers"),
    ],
)
def test_bad_batch_trials_exit_2_with_one_line(tmp_path, change, said):
    space = tmp_path / "bad.yaml"
    space.write_text(yaml.safe_dump({"dataset": {"name": "digits"}, **change}))
    done = symsearch("sweep", str(space), "--store", str(tmp_path / "s"), cwd=tmp_path, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and said in done.stderr
    assert done.stderr.strip().count("\n") == 0


BATCHED = {
    "dataset": {"name": "signals", "length": 16, "transform": "shift", "n_samples": 120},
    "model": {"channels": [4], "hidden": 16},
    "trial": {
        "epochs": 4,
        "robustness": "none",
        "discovery": "widths",
        "batch_size": 32,
        "aug_warmup": 1,
        "eval_samples": 2,
    },
    "search": {"candidate_group": ["trivial", "shift16"], "seed": [0, 1, 2]},
    "searcher": "grid",
    "scheduler": {"name": "asha", "grace_period": 1, "reduction_factor": 2},
    "batch_trials": 4,
}


@pytest.mark.slow
def test_a_batched_sweep_stores_each_configuration_once_as_if_alone(ray_session, outputs, tmp_path):
    from pipeline.store import open_store, read_table
    from pipeline.sweep import SweepOptions, prepare_sweep, start_sweep
    from pipeline.sweep._reconcile import set_aside_forgotten_trials
    from pipeline.trial import run_trial
    from tests.trial.test_batched import max_abs_diff

    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump(BATCHED))
    store = str(tmp_path / "store")
    prepared = prepare_sweep(space, SweepOptions(name="bt", store=store))
    assert start_sweep(prepared) is True
    location = open_store(store)
    trials = read_table(location, "trials", "bt").to_pylist()
    ids = sorted(t["trial_id"] for t in trials)
    assert len(ids) == len(set(ids)) == 6  # the grid's points, each once
    assert all(re.fullmatch(r".+-m[0-3]", i) for i in ids)
    assert len({i.rsplit("-m", 1)[0] for i in ids}) == 2  # two Ray trials: 4 + 2 members
    epochs = read_table(location, "epochs", "bt").to_pylist()
    for trial in trials:
        seen = sorted(e["epoch"] for e in epochs if e["trial_id"] == trial["trial_id"])
        assert seen == list(range(1, trial["epochs"] + 1))
        assert trial["status"] in ("completed", "stopped")
        assert (trial["status"] == "completed") == (trial["epochs"] == 4)
    assert any(t["status"] == "stopped" for t in trials)  # rungs judged members
    completed = next(t for t in trials if t["status"] == "completed")
    alone = run_trial(json.loads(completed["config_json"]))
    stored = [e for e in epochs if e["trial_id"] == completed["trial_id"]]
    batched = type(alone)(dict(completed), sorted(stored, key=lambda e: e["epoch"]))
    batched.trial["test_metric"] = completed["test_metric"]
    assert max_abs_diff([_without_discovery(alone)], [batched]) <= 1e-4
    assert set_aside_forgotten_trials(prepared.record, location, None) == set()


def _without_discovery(result):
    result.discovery = []
    return result


@pytest.mark.slow
@pytest.mark.reliability
def test_a_killed_batched_sweep_resumes_each_configuration_and_epoch_once_then_grows(
    ray_session, outputs, tmp_path
):
    import pipeline
    from tests.sweep.helpers import (
        StoreProgress,
        assert_each_trial_and_epoch_once,
        kill_driver,
        query,
        start_symsearch,
        wait_until,
    )

    epochs, budget = 8, 6
    space, store = tmp_path / "space.yaml", tmp_path / "store"
    space.write_text(
        yaml.safe_dump(
            {
                "dataset": {
                    "name": "signals",
                    "length": 32,
                    "transform": "shift",
                    "n_samples": 400,
                },
                "trial": {"epochs": epochs, "robustness": "none"},
                "search": {"reg": {"distribution": "loguniform", "low": 0.02, "high": 0.5}},
                "num_samples": budget,
                "scheduler": {"name": "fifo"},
                "checkpoint_seconds": 0,
                "searcher": "optuna",
                "batch_trials": 3,
            }
        )
    )
    progress = StoreProgress(store, "kb")
    driver = start_symsearch(
        "sweep", str(space), "--name", "kb", "--store", str(store), cwd=tmp_path, join=True
    )
    wait_until(
        driver,
        lambda: max(progress.running_epochs().values(), default=0) >= 3,
        "3 epochs of a member",
    )
    kill_driver(driver)
    assert len(progress.finished()) < budget
    symsearch("resume", "kb", cwd=tmp_path, join=True)
    assert_each_trial_and_epoch_once(store, tmp_path, "kb", budget, epochs)
    rows = query("select trial_id, status from trials where sweep='kb'", store, tmp_path)
    assert {r["status"] for r in rows} == {"completed"}
    assert all(re.fullmatch(r".+-m[0-2]", r["trial_id"]) for r in rows)
    resumed = query(
        "select trial_id, min(epoch) first from epochs where sweep='kb' and attempt >= 2 "
        "group by 1",
        store,
        tmp_path,
    )
    assert any(r["first"] > 1 for r in resumed), f"no member continued from its state: {resumed}"
    pipeline.open_sweep("kb").resume(num_samples=budget + 1)
    assert_each_trial_and_epoch_once(store, tmp_path, "kb", budget + 1, epochs)
