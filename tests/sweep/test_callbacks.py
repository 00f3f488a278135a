"""The driver's one-line account of failed and retried trials, without Ray."""

import io
from types import SimpleNamespace

import pytest
from rich.console import Console

from pipeline.sweep._callbacks import ProgressCallback, error_line

DEAD_WORKER = (
    "The actor died unexpectedly before finishing this task.\n\tclass_name: ImplicitFunc\n"
    "The actor is dead because its worker process has died. Some common causes include: ..."
)
RAISED = 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: loss became nan'


class Died(Exception):
    pass


def fake_trial(error, status="ERROR", failures=1):
    return SimpleNamespace(
        trial_id="abc12345",
        status=status,
        last_result={},
        num_failures=failures,
        config={},
        get_pickled_error=lambda: error,
    )


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (Died(DEAD_WORKER), "Died: The actor died unexpectedly before finishing this task."),
        (RuntimeError(RAISED), "RuntimeError: ValueError: loss became nan"),
        (ValueError("deliberate failure"), "ValueError: deliberate failure"),
        (SimpleNamespace(cause=KeyError("x")), "KeyError: 'x'"),
        (None, "trial failed (no error recorded)"),
    ],
)
def test_error_line_is_the_message_not_the_advice(error, line):
    assert error_line(fake_trial(error)) == line


def logged(callback):
    out = io.StringIO()
    callback.console = Console(file=out, width=200)
    return out


def test_retries_and_failures_are_told_in_one_line_each():
    callback = ProgressCallback("s", "val_metric", "max", budget=2)
    out = logged(callback)
    trial = fake_trial(Died(DEAD_WORKER))
    callback.on_trial_recover(iteration=1, trials=[trial], trial=trial)
    callback.on_trial_error(iteration=2, trials=[trial], trial=trial)
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "trial abc12345 retried after failure 1: Died: The actor died "
        "unexpectedly before finishing this task."
    )
    assert lines[1].startswith(
        "trial abc12345 failed: Died: The actor died unexpectedly before "
        "finishing this task. | s: 1 of 2 done, 1 failed"
    )
    assert len(lines) == 2


def test_a_retry_reads_the_error_from_the_drivers_copy(tmp_path):
    """At a retry Tune has written the error on the driver only, not yet in its experiment
    directory (where get_pickled_error looks)."""
    import pickle

    local = tmp_path / "error.pkl"
    local.write_bytes(pickle.dumps(ValueError("deliberate failure")))
    trial = fake_trial(None)
    trial.pickled_error_file = str(local)
    assert error_line(trial) == "ValueError: deliberate failure"


def finished_trial(trial_id, value):
    """A trial as Tune hands it to on_trial_complete: its status still RUNNING."""
    return SimpleNamespace(
        trial_id=trial_id,
        status="RUNNING",
        num_failures=0,
        last_result={"val_metric": value, "trial_status": "completed"},
        config={"candidate_group": "C4"},
    )


def test_the_best_so_far_includes_the_trial_that_just_completed():
    callback = ProgressCallback("s", "val_metric", "max", budget=2)
    out = logged(callback)
    first, second = finished_trial("t1", 0.6292), finished_trial("t2", 0.7833)
    callback.on_trial_complete(iteration=1, trials=[first, second], trial=first)
    callback.on_trial_complete(iteration=2, trials=[first, second], trial=second)
    lines = out.getvalue().splitlines()
    assert "best val_metric 0.6292" in lines[0], lines
    assert "best val_metric 0.7833" in lines[1], lines
    assert callback.best()[0] == 0.7833


def test_the_driver_builds_a_stopped_trials_row_with_the_trials_builder():
    from pipeline.store import open_store, read_table
    from pipeline.sweep._callbacks import StoreCallback
    from pipeline.sweep._trainable import TrialSpec

    base = {"dataset": {"name": "signals", "length": 16}, "epochs": 4}
    spec = TrialSpec("s", "memory://callback-rows", base, git_commit="f00d")
    dataset = {"dataset": "signals", "true_group": "shift16", "metric_name": "accuracy"}
    trial = fake_trial(None, status="TERMINATED")
    trial.config = {"reg": 0.25}
    trial.last_result = {"epoch": 2, "val_metric": 0.5, "train_seconds": 3.0}
    trial.last_result.update(node="host/abc", robustness=0.4)
    StoreCallback(spec, dataset).on_trial_complete(iteration=1, trials=[trial], trial=trial)
    (row,) = read_table(open_store(spec.store), "trials", "s").to_pylist()
    assert (row["status"], row["error"], row["epochs"], row["val_metric"]) == (
        "stopped",
        None,
        2,
        0.5,
    )
    assert (row["node"], row["git_commit"], row["robustness"]) == ("host/abc", "f00d", 0.4)
    assert row["reg"] == 0.25 and row["trial_id"] == "abc12345"


def test_trials_ctrl_c_stopped_are_interrupted_not_stopped_or_done():
    """Tune marks a trial that Ctrl-C stopped terminated, like one a rung stopped; it never
    ended through a callback, so the live view calls it interrupted."""
    callback = ProgressCallback("s", "val_metric", "max", budget=3)
    out = logged(callback)
    done, cut = finished_trial("t1", 0.5), finished_trial("t2", 0.4)
    for trial in (done, cut):
        callback.on_trial_start(iteration=1, trials=[done, cut], trial=trial)
    callback.on_trial_complete(iteration=2, trials=[done, cut], trial=done)
    cut.status = done.status = "TERMINATED"
    cut.last_result = {"val_metric": 0.4}  # its last epoch: no trial_status
    callback.on_experiment_end(trials=[done, cut])
    last = out.getvalue().splitlines()[-1]
    assert last.startswith("s: 1 of 3 done, 1 interrupted, best val_metric 0.5000"), last


def running_trial(trial_id, epoch, config=None):
    return SimpleNamespace(
        trial_id=trial_id,
        status="RUNNING",
        num_failures=0,
        last_result={"epoch": epoch, "val_metric": 0.5} if epoch else {},
        config=config or {},
    )


def test_the_live_view_says_k_of_n_each_running_trials_epochs_and_an_eta(monkeypatch):
    """A budget of 4 trials of 10 epochs: one ended, two running (epoch 4 of 10, epoch 3 of its
    own 6), one to come."""
    clock = [100.0]
    monkeypatch.setattr("pipeline.sweep._callbacks.time.monotonic", lambda: clock[0])
    callback = ProgressCallback("s", "val_metric", "max", budget=4, epochs=10)
    out = logged(callback)
    ended = finished_trial("t1", 0.75)
    ended.last_result["epoch"] = 10
    trials = [ended, running_trial("t2", 4), running_trial("t3", 3, {"epochs": 6})]
    clock[0] = 134.0
    callback.on_trial_complete(iteration=1, trials=trials, trial=ended)
    line = out.getvalue().splitlines()[0]
    assert line.startswith("trial t1 completed val_metric 0.7500 (10/10 epochs) | s: ")
    assert "1 of 4 done, 2 running" in line and "epochs t2 4/10, t3 3/6" in line
    # done: 10 + 4 + 3 = 17 of 10 + 10 + 6 + 10 = 36: 19 left at 17 epochs per 34 s
    assert line.endswith("34s, ETA 38s"), line
    table = Console(file=io.StringIO(), width=200)
    table.print(callback.render())
    assert "ETA" in table.file.getvalue() and "1 of 4" in table.file.getvalue()


def test_before_the_first_epoch_the_eta_is_unknown():
    callback = ProgressCallback("s", "val_metric", "max", budget=3, epochs=5)
    callback.trials = [running_trial("t1", 0)]
    assert callback.summary_line().endswith("ETA -") and "0 of 3 done" in callback.summary_line()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "ETA -"), (42.4, "ETA 42s"), (245, "ETA 4m05s"), (7300, "ETA 2h01m")],
)
def test_eta_reads_in_hours_minutes_and_seconds(seconds, text):
    from pipeline.sweep._progress import format_eta

    assert format_eta(seconds) == text


def test_the_view_knows_each_trials_epochs_from_the_space():
    from pipeline.space import parse_space
    from pipeline.sweep._run import trial_epochs

    base = {"dataset": {"name": "digits"}}
    assert trial_epochs(parse_space(base)) == 30
    assert trial_epochs(parse_space({**base, "trial": {"epochs": 4}})) == 4
    assert trial_epochs(parse_space({**base, "search": {"epochs": [2, 8]}})) == 2


def test_a_view_pickled_by_an_older_experiment_restores():
    """Tune pickles the callbacks with the experiment; one saved before epochs were kept."""
    import pickle

    callback = ProgressCallback("s", "val_metric", "max", budget=3, epochs=5)
    assert pickle.loads(pickle.dumps(callback)).epochs == 5
    old = ProgressCallback.__new__(ProgressCallback)
    old.__setstate__({"sweep": "s", "metric": "val_metric", "mode": "max", "budget": 3})
    old.trials = [running_trial("t1", 2)]
    assert "0 of 3 done" in old.summary_line() and "t1 1/1" in old.summary_line()


def test_once_every_trial_ended_the_line_has_no_eta():
    callback = ProgressCallback("s", "val_metric", "max", budget=1, epochs=2)
    callback.trials = [finished_trial("t1", 0.5)]
    callback.ending["t1"] = "completed"
    assert callback.summary_line().startswith("s: 1 of 1 done, best val_metric 0.5000 (C4), ")
    assert "ETA" not in callback.summary_line()


def test_k_of_n_counts_the_configurations_of_a_batched_trial():
    callback = ProgressCallback("s", "val_metric", "max", budget=6, epochs=2)
    batch = running_trial("b", 1, {"members": [{}, {}, {}]})
    callback.trials = [batch]
    callback.ending.update({"b-m0": "completed", "b-m1": "stopped"})
    assert callback.summary_line().startswith("s: 2 of 6 done, 1 stopped, 1 running")


def test_the_eta_of_batched_trials_counts_configurations_not_ray_trials(monkeypatch):
    """A budget of 6 configurations of 10 epochs in two batched Ray trials of 3 members, both
    half way: as many epochs left as done, whatever the batching."""
    clock = [100.0]
    monkeypatch.setattr("pipeline.sweep._callbacks.time.monotonic", lambda: clock[0])
    callback = ProgressCallback("s", "val_metric", "max", budget=6, epochs=10)
    members = {"members": [{}, {}, {}]}
    callback.trials = [running_trial("a", 5, members), running_trial("b", 5, members)]
    clock[0] = 130.0
    assert callback.summary_line().endswith("30s, ETA 30s"), callback.summary_line()
