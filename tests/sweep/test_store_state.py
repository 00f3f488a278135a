"""The store is the source of truth: a sweep started on one machine (outputs/ A) is resumed
from its store alone on another (outputs/ B, A deleted), and ends with exactly its budget.
Each command runs in its own process, as users do; marked slow (two Rays per test)."""

import shutil
import subprocess
import sys
import time

import optuna
import pytest
import yaml

from tests.sweep.helpers import assert_each_trial_and_epoch_once, cli_env, query

EPOCHS, BUDGET = 3, 4
SPACE = {
    "dataset": {"name": "signals", "length": 16, "transform": "shift", "n_samples": 120},
    "trial": {"epochs": EPOCHS, "batch_size": 32, "eval_samples": 2, "robustness": "none"},
    "search": {
        "candidate_group": ["trivial", "shift16"],
        "reg": {"distribution": "loguniform", "low": 0.02, "high": 0.5},
    },
    "num_samples": BUDGET,
    "max_concurrent": 1,
    "scheduler": {"name": "fifo"},
    "checkpoint_seconds": 0,
    "searcher": "optuna",  # every trial trains EPOCHS epochs (no one-epoch discovery probe)
}


def run(args, cwd, outputs, join=False, **options):
    env = {**cli_env(join), "SYMSEARCH_OUTPUTS": str(outputs)}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        **options,
    )


def start(args, cwd, outputs, join=False):
    env = {**cli_env(join), "SYMSEARCH_OUTPUTS": str(outputs)}
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def ended_trials(store: str, sweep: str) -> int:
    from pipeline.store import open_store

    location = open_store(store)
    location.fs.invalidate_cache()
    return len(location.fs.glob(location.path("trials", f"sweep={sweep}", "*.parquet")))


def kill_after_first_trial(driver, store: str, sweep: str) -> None:
    deadline = time.monotonic() + 300
    while driver.poll() is None and time.monotonic() < deadline:
        if ended_trials(store, sweep) >= 1:
            break
        time.sleep(0.2)
    assert driver.poll() is None, "the sweep ended before it could be interrupted"
    driver.kill()
    driver.wait(timeout=60)
    assert 1 <= ended_trials(store, sweep) < BUDGET


GRID = {
    **SPACE,
    "searcher": "grid",
    "search": {"candidate_group": ["trivial", "shift16"], "lr": [0.01, 0.1]},
}


def resume_elsewhere(tmp_path, store: str, sweep: str, settings=SPACE, join=False) -> None:
    """Interrupt a sweep run under outputs A, delete A, resume it under B from the store
    (``join``: both drivers join the session's Ray, as two machines of one cluster)."""
    space, a, b = tmp_path / "space.yaml", tmp_path / "A", tmp_path / "B"
    space.write_text(yaml.safe_dump(settings))
    driver = start(["sweep", str(space), "--name", sweep, "--store", store], tmp_path, a, join)
    kill_after_first_trial(driver, store, sweep)
    shutil.rmtree(a)
    space.unlink()  # the record in the store holds the space

    status = run(["status", sweep, "--store", store], tmp_path, b)
    assert status.returncode == 0, status.stderr
    assert f"{sweep} " in status.stdout and " 4 " in status.stdout  # its budget
    done = run(["resume", sweep, "--store", store], tmp_path, b, join)
    assert done.returncode == 0, done.stderr
    if settings is GRID:  # each point once: the lost segment's points that ran are not rerun
        points = query(
            f"select count(distinct config_json) n from trials where sweep='{sweep}'",
            store,
            tmp_path,
        )
        assert points == [{"n": BUDGET}]
        assert_each_trial_and_epoch_once(store, tmp_path, sweep, BUDGET, EPOCHS)
        return
    assert "rebuilt from the store's" in done.stderr

    assert_each_trial_and_epoch_once(store, tmp_path, sweep, BUDGET, EPOCHS)
    statuses = query(
        f"select status, count(*) n from trials where sweep='{sweep}' group by 1", store, tmp_path
    )
    assert statuses == [{"status": "completed", "n": BUDGET}]
    study = optuna.load_study(
        study_name=sweep, storage=f"sqlite:///{b / 'sweeps' / sweep / 'optuna.db'}"
    )
    assert len(study.get_trials(states=[optuna.trial.TrialState.COMPLETE])) == BUDGET
    again = run(["status", sweep, "--store", store], tmp_path, b)
    assert "True" in again.stdout and again.returncode == 0


@pytest.mark.slow
def test_a_local_store_resumes_on_another_machine_with_exactly_its_budget(ray_session, tmp_path):
    resume_elsewhere(tmp_path, str(tmp_path / "store"), "moved", join=True)
    assert not (tmp_path / "A").exists()


@pytest.mark.slow
def test_a_grid_sweep_resumed_elsewhere_runs_each_remaining_point_once(ray_session, tmp_path):
    resume_elsewhere(tmp_path, str(tmp_path / "store"), "grid", GRID, join=True)


@pytest.mark.slow
def test_an_s3_store_resumes_on_another_machine_with_exactly_its_budget(tmp_path, s3_endpoint):
    import uuid

    resume_elsewhere(tmp_path, f"s3://symsearch-test/state-{uuid.uuid4().hex[:8]}/store", "moved")


def test_status_and_resume_name_a_sweep_missing_from_the_store(tmp_path):
    (tmp_path / "store").mkdir()
    for command in ("status", "resume"):
        done = run(
            [command, "nothere", "--store", str(tmp_path / "store")], tmp_path, tmp_path / "B"
        )
        assert done.returncode == 2
        assert done.stderr.startswith("error: no sweep named 'nothere' in store")
        assert done.stderr.strip().count("\n") == 0


def test_a_name_the_store_holds_is_refused_on_a_machine_without_its_record(tmp_path, outputs):
    from pipeline.sweep import SweepError, SweepOptions, SweepRecord, prepare_sweep

    store = tmp_path / "store"
    record = SweepRecord(
        name="taken",
        space=SPACE,
        space_path="x.yaml",
        store=str(store),
        storage_path=str(tmp_path / "ray"),
    )
    record.add_segment(BUDGET)
    record.save()
    shutil.rmtree(outputs)  # another machine: only the store knows the sweep
    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump(SPACE))
    with pytest.raises(SweepError, match=r"holds a sweep named 'taken'.*resume taken --store"):
        prepare_sweep(space, SweepOptions(name="taken", store=str(store)))
