"""Faults: a sweep driver killed at three moments, a trial's worker process killed, stores that
cannot be written. Nothing stored may be lost, repeated or left unreadable. Marked
``reliability`` (part of the default suite; ``-m "not reliability"`` leaves them out)."""

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import psutil
import pyarrow.parquet as pq
import pytest
import torch
import yaml

import pipeline
from tests.sweep.helpers import (
    StoreProgress,
    assert_each_trial_and_epoch_once,
    cli_env,
    kill_driver,
    query,
    start_symsearch,
    symsearch,
    wait_until,
)

pytestmark = pytest.mark.reliability

EPOCHS, BUDGET = 12, 6
SPACE = {
    "dataset": {"name": "signals", "length": 32, "transform": "shift", "n_samples": 400},
    "trial": {"epochs": EPOCHS, "robustness": "none"},
    "search": {
        "candidate_group": ["trivial", "shift32"],
        "reg": {"distribution": "loguniform", "low": 0.02, "high": 0.5},
    },
    "num_samples": BUDGET,
    "scheduler": {"name": "fifo"},
    "checkpoint_seconds": 0,  # every epoch: a resumed trial continues from its last one
    "searcher": "optuna",  # every trial trains EPOCHS epochs (no one-epoch discovery probe)
}


def assert_every_file_readable(store: Path) -> None:
    """Every table file parses and every saved trial state loads; hidden temporaries, which
    readers skip, attempt markers (``_attempts/``), sweep records and a killed driver's lock
    (``_sweeps/``) are the only other files allowed."""
    for path in store.rglob("*"):
        if path.is_dir() or path.name.startswith("."):
            continue
        if path.relative_to(store).parts[0] == "_attempts":
            assert path.read_text().strip().isdigit(), path  # the claiming process's id
            continue
        if path.relative_to(store).parts[0] == "_sweeps" and path.name == "lock":
            assert json.loads(path.read_text())["pid"], path  # a killed driver's lock
            continue
        if path.relative_to(store).parts[0] == "_sweeps":
            assert json.loads(path.read_text())["segments"], path  # the sweep's record
            continue
        if path.suffix == ".parquet":
            pq.read_table(path)
        elif path.suffix == ".pt":
            torch.load(path, weights_only=True)
        else:
            raise AssertionError(f"unexpected file in the store: {path}")


@pytest.mark.slow
def test_driver_killed_at_three_moments_resumes_every_trial_and_epoch_once_then_grows(
    ray_session, outputs, tmp_path
):
    space, store = tmp_path / "space.yaml", tmp_path / "store"
    space.write_text(yaml.safe_dump(SPACE))
    progress = StoreProgress(store, "k")
    moments = [
        ("the first epoch is stored", lambda: sum(progress.running_epochs().values()) >= 1),
        # 6+ epochs: Ray's experiment snapshot, taken about every second, names the running
        # trial, which must then continue from its saved state
        (
            "3 trials finished, another 6+ epochs in",
            lambda: (
                len(progress.finished()) >= 3
                and max(progress.running_epochs().values(), default=0) >= 6
            ),
        ),
        (f"{BUDGET - 2} trials finished", lambda: len(progress.finished()) >= BUDGET - 2),
    ]
    command = ["sweep", str(space), "--name", "k", "--store", str(store)]
    for what, ready in moments:
        driver = start_symsearch(*command, cwd=tmp_path, join=True)
        wait_until(driver, ready, what)
        kill_driver(driver)
        assert len(progress.finished()) < BUDGET, f"killed after the end, not when {what}"
        assert_every_file_readable(store)
        command = ["resume", "k"]
    symsearch(*command, cwd=tmp_path, join=True)

    assert_each_trial_and_epoch_once(store, tmp_path, "k", BUDGET, EPOCHS)
    assert_every_file_readable(store)
    statuses = query(
        "select status, count(*) n from trials where sweep='k' group by 1", store, tmp_path
    )
    assert statuses == [{"status": "completed", "n": BUDGET}]
    attempts = query("select max(attempt) a from epochs where sweep='k'", store, tmp_path)
    assert attempts[0]["a"] >= 2, "no trial was interrupted and resumed"
    resumed = query(
        "select trial_id, attempt, min(epoch) first from epochs where sweep='k' "
        "and attempt >= 2 group by 1, 2",
        store,
        tmp_path,
    )
    assert any(r["first"] > 1 for r in resumed), f"none continued from a checkpoint: {resumed}"

    # then the budget grows by one trial, each trial and epoch still once (resume_sweep, as
    # `resume --num-samples` runs it, on the session's Ray: no fourth Ray start); never shrinks
    pipeline.open_sweep("k").resume(num_samples=BUDGET + 1)
    assert_each_trial_and_epoch_once(store, tmp_path, "k", BUDGET + 1, EPOCHS)
    lower = symsearch("resume", "k", "--num-samples", str(BUDGET - 1), cwd=tmp_path, check=False)
    assert lower.returncode == 2 and "--num-samples" in lower.stderr


@pytest.mark.slow
def test_resume_sets_aside_a_trial_no_experiment_snapshot_knows(ray_session, outputs, tmp_path):
    """The gap the three kills can hit by chance, made certain: a trial in the store that Ray
    Tune's snapshot never recorded (it started and was killed between two snapshots)."""
    from pipeline.store import StoreWriter, open_store, read_blob, write_blob

    space, store = tmp_path / "space.yaml", tmp_path / "store"
    epochs = 4  # the orphan's two epochs are fewer
    space.write_text(
        yaml.safe_dump({**SPACE, "num_samples": 2, "trial": {**SPACE["trial"], "epochs": epochs}})
    )
    # the sweep on the session's Ray (outputs/ under tmp_path, where the resume commands look)
    pipeline.sweep(space, name="f", store=str(store))
    location = open_store(str(store))
    writer = StoreWriter(location, "f", "0rphan00", 1)
    for epoch in (1, 2):
        writer.add("epochs", {"epoch": epoch, "train_loss": 0.5})
        writer.flush()
    write_blob(location, "_checkpoints/sweep=f/0rphan00.pt", b"state")

    said = symsearch("resume", "f", cwd=tmp_path, join=True)
    assert "1 trial(s) started after the last experiment snapshot (0rphan00)" in said.stderr
    assert_each_trial_and_epoch_once(store, tmp_path, "f", 2, epochs)
    assert len(list((store / "_superseded" / "epochs" / "sweep=f").glob("0rphan00-a1-*"))) == 2
    assert read_blob(location, "_checkpoints/sweep=f/0rphan00.pt") is None
    again = symsearch("resume", "f", cwd=tmp_path, join=True)
    assert "experiment snapshot" not in again.stderr


def trial_workers(driver) -> list:
    """The Ray worker processes of this driver's local cluster that run a trial's actor."""
    found = []
    for process in psutil.Process(driver.pid).children(recursive=True):
        try:
            if "ray::ImplicitFunc" in " ".join(process.cmdline()):
                found.append(process)
        except psutil.NoSuchProcess:
            continue
    return found


@pytest.mark.slow
def test_killed_trial_worker_is_retried_as_attempt_2_and_stored_once(tmp_path):
    # One trial at a time, so the one worker that runs a trial runs the victim: a trial 5+ of
    # its 30 epochs in (a trial killed before its first write is rightly attempt 1 again).
    epochs = 30
    space, store = tmp_path / "space.yaml", tmp_path / "store"
    space.write_text(
        yaml.safe_dump(
            {
                **SPACE,
                "trial": {**SPACE["trial"], "epochs": epochs},
                "num_samples": 2,
                "max_concurrent": 1,
                "max_failures": 1,
            }
        )
    )
    progress = StoreProgress(store, "w")
    log = tmp_path / "driver.log"
    driver = start_symsearch(
        "sweep", str(space), "--name", "w", "--store", str(store), cwd=tmp_path, log=log
    )
    wait_until(
        driver,
        lambda: (
            max(progress.running_epochs().values(), default=0) >= 5
            and len(trial_workers(driver)) == 1
        ),
        "a trial 5 epochs in",
    )
    victim = progress.running_epochs().most_common(1)[0][0]
    trial_workers(driver)[0].send_signal(signal.SIGKILL)  # a crash: no cleanup, no exception
    assert victim not in progress.finished(), "the trial ended before its worker was killed"
    assert driver.wait(timeout=300) == 0
    said = log.read_text()
    assert "retried after failure 1: ActorDiedError: The actor died unexpectedly" in said, said
    assert "Traceback" not in said, said

    assert_each_trial_and_epoch_once(store, tmp_path, "w", 2, epochs)
    assert_every_file_readable(store)
    trials = query("select trial_id, attempt, status from trials where sweep='w'", store, tmp_path)
    assert [t["status"] for t in trials] == ["completed"] * 2, trials
    assert {t["trial_id"]: t["attempt"] for t in trials}[victim] == 2, trials
    assert sorted(t["attempt"] for t in trials) == [1, 2], trials
    first = query(
        f"select min(epoch) e from epochs where sweep='w' and attempt = 2 and "
        f"trial_id = '{victim}'",
        store,
        tmp_path,
    )
    assert first[0]["e"] > 1, "the retry started over instead of continuing from its state"


def without_root_override() -> list[str]:
    """A command prefix under which file permissions hold: root ignores them through
    CAP_DAC_OVERRIDE, so root drops it (and CAP_DAC_READ_SEARCH) for the command."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a directory read-only")
    dropped = "-dac_override,-dac_read_search"
    return [setpriv, "--bounding-set", dropped, "--inh-caps", dropped, "--"]


def test_read_only_store_directory_exits_2_before_any_work(tmp_path):
    assert_read_only_store_is_refused(tmp_path, "sweep", tmp_path / "space.yaml", "--name", "ro")


def test_resume_into_a_store_gone_read_only_exits_2(tmp_path, monkeypatch):
    """The sweep's record is there; the store's permissions changed since it started."""
    from pipeline.sweep import SweepRecord

    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "outputs"))
    record = SweepRecord(
        name="gone",
        space=SPACE,
        space_path=str(tmp_path / "space.yaml"),
        store=str(tmp_path / "store"),
        storage_path=str(tmp_path / "ray"),
    )
    record.add_segment(2)
    record.save()
    assert_read_only_store_is_refused(tmp_path, "resume", "gone")


def assert_read_only_store_is_refused(tmp_path, *arguments):
    store = tmp_path / "store"
    (store / "trials").mkdir(parents=True)
    (store / "trials" / "kept.parquet").write_bytes(b"stored results")
    for path in (store / "trials", store):
        path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump(SPACE))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    command = [*without_root_override(), sys.executable, "-m", "pipeline.cli", *map(str, arguments)]
    if arguments[0] == "sweep":
        command += ["--store", str(store)]
    env = {**cli_env(), "SYMSEARCH_OUTPUTS": str(tmp_path / "outputs")}
    try:
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
    finally:
        for path in (store, store / "trials"):
            path.chmod(stat.S_IRWXU)  # let pytest clean up
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.strip().count("\n") == 0
    assert f"store {store} cannot be written" in done.stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert (store / "trials" / "kept.parquet").read_bytes() == b"stored results"


def test_store_in_a_bucket_that_does_not_exist_exits_2(tmp_path, s3_endpoint):
    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump(SPACE))
    done = symsearch(
        "sweep",
        str(space),
        "--store",
        "s3://no-such-bucket-symsearch/store",
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.strip().count("\n") == 0
    assert "no-such-bucket-symsearch" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["space.yaml"]


TINY = {
    "dataset": {"name": "signals", "length": 16, "n_samples": 120},
    "trial": {"epochs": 2, "batch_size": 32, "eval_samples": 2, "robustness": "none"},
    "search": {"candidate_group": ["shift16"]},
    "searcher": "optuna",
}


@pytest.mark.slow
def test_two_identical_trials_at_once_take_attempts_1_and_2(tmp_path):
    """Both runs claim an attempt before training: the claim is an exclusive create, so they
    never share one and the latest view shows one trials row and each epoch once."""
    space, store = tmp_path / "space.yaml", tmp_path / "store"
    space.write_text(yaml.safe_dump(TINY))
    command = ["trial", str(space), "--store", str(store), "--name", "race"]
    runs = [start_symsearch(*command, cwd=tmp_path, log=tmp_path / f"run{n}.log") for n in (1, 2)]
    for run in runs:
        assert run.wait(timeout=600) == 0, (tmp_path / "run1.log").read_text()
    logs = " ".join((tmp_path / f"run{n}.log").read_text() for n in (1, 2))
    assert "attempt 1 " in logs and "attempt 2 " in logs
    trials = query("select trial_id, attempt from trials", store, tmp_path)
    assert len(trials) == 1 and trials[0]["attempt"] == 2
    epochs = query("select epoch, attempt from epochs order by epoch", store, tmp_path)
    assert epochs == [{"epoch": 1, "attempt": 2}, {"epoch": 2, "attempt": 2}]
