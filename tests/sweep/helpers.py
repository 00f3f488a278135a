"""Running the CLI as users do, each command in its own process, and checking what it stored."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.conftest import SESSION_RAY


def cli_env(join: bool = False):
    """outputs/ under the test's folder (the working directory); workers without uv; a Ray of
    its own, as a user gets. ``join``: the driver joins this worker's session Ray instead, where
    the test started it (``ray_session``), as a user's driver joins a running cluster: a Ray of
    its own costs about 4 CPU seconds to start and stop, and the suite is bound by its CPU."""
    dropped = ("SYMSEARCH_OUTPUTS", "RAY_ADDRESS", SESSION_RAY)
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    if join and os.environ.get(SESSION_RAY):
        env["RAY_ADDRESS"] = os.environ[SESSION_RAY]
    return {**env, "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0"}


def symsearch(*args, cwd, check=True, join=False, **options):
    command = [sys.executable, "-m", "pipeline.cli", *args]
    env = cli_env(join)
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, **options
    )
    if check and done.returncode != 0:
        raise AssertionError(f"{args} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done


def start_symsearch(*args, cwd, log=None, join=False):
    """A CLI command in the background (to be interrupted); its output goes to the file log."""
    command = [sys.executable, "-m", "pipeline.cli", *args]
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 (the child holds it)
    try:
        return subprocess.Popen(
            command, cwd=cwd, env=cli_env(join), stdout=out, stderr=subprocess.STDOUT
        )
    finally:
        if log:
            out.close()


def query(sql, store, cwd):
    """The rows ``symsearch query SQL --store STORE --format json`` prints, read in this process
    by the same calls (what the store holds is checked here, not the query command, which
    tests/test_cli.py runs; a process per query cost seconds each)."""
    from pipeline._util.text import format_rows, unique_names
    from pipeline.store import check_readable, open_store, run_query

    url = str(store) if "://" in str(store) else str(Path(cwd, store))
    location = open_store(url)
    check_readable(location)  # also drops cached listings: other processes wrote since
    columns, rows = run_query(location, sql)
    return json.loads(format_rows(unique_names(columns), rows, "json"))


def assert_each_trial_and_epoch_once(store, cwd, sweep, budget, epochs):
    """budget trials, each once, each with every epoch 1..epochs exactly once."""
    where = f"sweep='{sweep}'"
    counts = query(
        f"select count(*) n, count(distinct trial_id) d from trials where {where}", store, cwd
    )
    assert counts == [{"n": budget, "d": budget}]
    repeated = query(
        f"select trial_id, epoch, count(*) c from epochs where {where} group by 1, 2 having c > 1",
        store,
        cwd,
    )
    assert repeated == []
    per_trial = query(
        f"select trial_id, count(*) c, max(epoch) m from epochs where {where} group by 1",
        store,
        cwd,
    )
    bad = [r["trial_id"] for r in per_trial if not r["c"] == r["m"] == epochs]
    errors = query(
        "select trial_id, status, epochs, error from trials where trial_id in "
        f"({', '.join(repr(b) for b in bad) or 'null'})",
        store,
        cwd,
    )
    assert len(per_trial) == budget and not bad, errors


class StoreProgress:
    """What a sweep has written so far, read from file names (no reader, no Ray)."""

    def __init__(self, store: Path, sweep: str) -> None:
        self.trials = store / "trials" / f"sweep={sweep}"
        self.epochs = store / "epochs" / f"sweep={sweep}"

    def finished(self) -> set[str]:
        return {p.name.split("-a")[0] for p in self.trials.glob("*.parquet")}

    def epoch_files(self) -> int:
        return sum(1 for _ in self.epochs.glob("*.parquet"))

    def running_epochs(self) -> Counter:
        """Epoch files per trial that has not finished (any attempt)."""
        done = self.finished()
        found = Counter(p.name.split("-a")[0] for p in self.epochs.glob("*.parquet"))
        return Counter({t: n for t, n in found.items() if t not in done})


def wait_until(process, ready, what: str, limit: float = 240) -> None:
    """Poll until ready() while process runs; fail if it ends first or time runs out."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and process.poll() is None:
        if ready():
            return
        time.sleep(0.05)
    assert process.poll() is None, f"the command ended before {what}"
    raise AssertionError(f"timed out waiting for {what}")


def kill_driver(process) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
