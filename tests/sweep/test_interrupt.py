"""Ctrl-C (one SIGINT to the driver's process group, as a terminal sends it) ends a sweep
cleanly at any moment, and `symsearch resume NAME` finishes its budget: each trial and each
(trial, epoch) stored once, every trial of the FIFO sweep completed."""

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.sweep.helpers import (
    StoreProgress,
    assert_each_trial_and_epoch_once,
    cli_env,
    query,
    symsearch,
    wait_until,
)

pytestmark = pytest.mark.reliability

EPOCHS, BUDGET = 8, 3
SPACE = {
    "dataset": {"name": "signals", "length": 32, "transform": "shift", "n_samples": 300},
    # no data tests: Ctrl-C is the subject (the driver-killed sweep of test_reliability has them)
    "trial": {"epochs": EPOCHS, "robustness": "none", "discovery": "widths"},
    "search": {
        "candidate_group": ["trivial", "shift32"],
        "reg": {"distribution": "loguniform", "low": 0.02, "high": 0.5},
    },
    "num_samples": BUDGET,
    "scheduler": {"name": "fifo"},  # no early stops: every trial must end completed
    "checkpoint_seconds": 0,
    "searcher": "optuna",
}


def paced_space(folder: Path) -> dict:
    """SPACE with the user's paced network beside it (slowed while ``folder/pace`` exists)."""
    shutil.copy(Path(__file__).with_name("paced_net.py"), folder / "paced_net.py")
    # half a second per training batch while paced: the last trial's remaining epochs (a
    # resumed trial may have one left) outlast a signal delivered late on a loaded machine
    model = {
        "factory": "paced_net:paced_net",
        "pace_file": str(folder / "pace"),
        "pace_seconds": 0.5,
    }
    return {**SPACE, "model": model}


def interrupt(args, cwd, ready, what, log):
    """Run a command in its own session, send one SIGINT to its group once ready(), and return
    its exit status and output (the wait is bounded)."""
    command = [sys.executable, "-m", "pipeline.cli", *args]
    with open(log, "w") as out:
        driver = subprocess.Popen(
            command,
            cwd=cwd,
            env=cli_env(join=True),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(driver, ready, what)
        os.killpg(driver.pid, signal.SIGINT)
        code = driver.wait(timeout=120)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait(timeout=60)
    return code, log.read_text()


def _after_a_new_epoch(progress: StoreProgress, ready):
    """ready(), once the store holds an epoch file more than now (stored by the driver about to
    start: it is then past Python's start, whose SIGINT handler a signal must not beat)."""
    before = progress.epoch_files()
    return lambda: progress.epoch_files() > before and ready()


@pytest.mark.slow
def test_ctrl_c_at_three_moments_then_resume_stores_every_trial_and_epoch_once(
    ray_session, tmp_path
):
    space, store = tmp_path / "space.yaml", tmp_path / "store"
    space.write_text(yaml.safe_dump(paced_space(tmp_path)))
    progress = StoreProgress(store, "k")
    moments = [
        ("the first epoch is stored", lambda: sum(progress.running_epochs().values()) >= 1),
        (
            "a trial finished, another 2+ epochs in",
            lambda: (
                len(progress.finished()) >= 1
                and max(progress.running_epochs().values(), default=0) >= 2
            ),
        ),
        (
            "the last trial running",
            lambda: (
                len(progress.finished()) >= BUDGET - 1
                and max(progress.running_epochs().values(), default=0) >= 1
            ),
        ),
    ]
    command = ["sweep", str(space), "--name", "k", "--store", str(store)]
    for number, (what, ready) in enumerate(moments):
        if number == len(moments) - 1:  # the last trial must not finish before the signal lands
            (tmp_path / "pace").touch()
        # the store may meet a moment's condition from the run before: wait for this driver
        running = _after_a_new_epoch(progress, ready)
        code, output = interrupt(command, tmp_path, running, what, tmp_path / f"log{number}")
        assert code == 130, f"after Ctrl-C when {what}: exit {code}\n{output[-3000:]}"
        assert len(progress.finished()) < BUDGET, f"interrupted after the end, not when {what}"
        hint = re.search(r"was interrupted: `symsearch (resume k [^`]+)`", output)
        assert hint and "--allow-factory paced_net:paced_net" in hint[1], output[-3000:]
        assert "Tuner.restore" not in output and "Tuner(" not in output, output[-3000:]
        command = hint[1].split()  # the hint, run as printed: it names the space's factory
    (tmp_path / "pace").unlink()
    done = symsearch(*command, cwd=tmp_path, join=True)
    assert "Tuner.restore" not in done.stderr

    assert_each_trial_and_epoch_once(store, tmp_path, "k", BUDGET, EPOCHS)
    statuses = query(
        "select status, count(*) n from trials where sweep='k' group by 1", store, tmp_path
    )
    assert statuses == [{"status": "completed", "n": BUDGET}]
    status = symsearch("status", "k", cwd=tmp_path).stdout
    assert f"k      {BUDGET}       {BUDGET}          0        0       0          True" in status
