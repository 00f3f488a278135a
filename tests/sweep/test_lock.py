"""One driver per sweep: the lock ``_sweeps/NAME/lock`` (created exclusively), the record
created exclusively, and a name that holds rows of ad-hoc trials refused. No Ray starts: every
refusal comes before it."""

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.store import StoreWriter, open_store, read_blob
from pipeline.sweep import SweepError
from pipeline.sweep._lock import STALE_SECONDS, acquire, lock_name, read_holder, release
from tests.sweep.test_trust import SPACE, saved_record, stored_record

runner = CliRunner()


def hold(store, name, **holder) -> None:
    """A lock as another driver left it."""
    payload = {
        "host": socket.gethostname(),
        "pid": os.getppid(),
        "token": "other",
        "started": "2026-01-01",
        "heartbeat": time.time(),
        **holder,
    }
    folder = open_store(store).root + f"/_sweeps/{name}"
    os.makedirs(folder, exist_ok=True)
    with open(f"{folder}/lock", "w") as file:
        json.dump(payload, file)


def test_a_second_driver_gets_one_line_naming_the_holder(tmp_path, outputs):
    record = saved_record(tmp_path)
    hold(record.store, "r")
    before = stored_record(record.store)
    done = runner.invoke(app, ["resume", "r", "--store", record.store])
    assert done.exit_code == 2, done.output
    assert done.output.strip().count("\n") == 0
    assert f"sweep r is running: process {os.getppid()} on {socket.gethostname()}" in done.output
    assert "--force takes it" in done.output and stored_record(record.store) == before


def test_two_acquires_exclude_each_other_and_release_frees_the_name(tmp_path):
    location = open_store(str(tmp_path / "store"))
    token = acquire(location, "s")
    with pytest.raises(SweepError, match=r"sweep s is running: process \d+"):
        acquire(location, "s")
    assert read_holder(location, "s")["token"] == token
    release(location, "s", token)
    assert read_holder(location, "s") is None
    release(location, "s", acquire(location, "s"))


@pytest.mark.parametrize(
    "holder",
    [
        {
            "heartbeat": time.time() - STALE_SECONDS - 1,
            "host": "elsewhere",
        },  # no heartbeat for long
        {"pid": 2**22 + 12345},  # this host, its process gone
    ],
)
def test_a_stale_lock_is_taken_with_a_warning(tmp_path, capsys, holder):
    store = str(tmp_path / "store")
    hold(store, "s", **holder)
    location = open_store(store)
    token = acquire(location, "s")
    assert read_holder(location, "s")["token"] == token
    assert "warning: sweep s: taking the lock" in capsys.readouterr().err


def test_force_takes_a_live_lock(tmp_path):
    store = str(tmp_path / "store")
    hold(store, "s", host="elsewhere")
    location = open_store(store)
    with pytest.raises(SweepError, match="elsewhere"):
        acquire(location, "s")
    token = acquire(location, "s", force=True)
    assert read_holder(location, "s")["token"] == token


def test_the_record_is_created_exclusively(tmp_path, outputs):
    record = saved_record(tmp_path)
    with pytest.raises(SweepError, match="holds a sweep named 'r'"):
        record.save(new=True)


def test_concurrent_lock_creates_have_one_winner(tmp_path):
    """Four processes race for one lock: exactly one creates it. Each holds on (its process
    alive) until all have tried: a winner that exited would leave a lock that is rightly stale."""
    code = (
        "import sys; from pipeline.store import open_store; from pipeline.sweep._lock import "
        "acquire\ntry:\n    acquire(open_store(sys.argv[1]), 'race'); print('won', flush=True)\n"
        "except Exception as e:\n    print('lost', type(e).__name__, flush=True)\n"
        "sys.stdin.read()"
    )
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path / "store")],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        outcomes = [racer.stdout.readline().strip() for racer in racers]
    finally:
        for racer in racers:
            racer.communicate(timeout=120)  # closes stdin: the racer ends
    assert outcomes.count("won") == 1, outcomes
    assert all(o in ("won", "lost SweepError") for o in outcomes), outcomes


def test_a_sweep_name_with_ad_hoc_trial_rows_is_refused(tmp_path, outputs):
    import pipeline

    store = str(tmp_path / "store")
    writer = StoreWriter(open_store(store), "adhoc", "t1", 1)
    writer.add("trials", {"status": "completed", "candidate_group": "SO2"})
    writer.flush()
    with pytest.raises(SweepError, match=r"holds rows under the name 'adhoc'.*trial --name"):
        pipeline.sweep(dict(SPACE), name="adhoc", store=store)
    assert read_blob(open_store(store), lock_name("adhoc")) is None
    assert read_blob(open_store(store), "_sweeps/adhoc/sweep.json") is None


def test_the_lock_is_exclusive_on_object_stores_too(s3_endpoint):
    import uuid

    location = open_store(f"s3://symsearch-test/lock-{uuid.uuid4().hex[:8]}")
    token = acquire(location, "s")
    with pytest.raises(SweepError, match="sweep s is running"):
        acquire(location, "s")
    release(location, "s", token)
    assert read_holder(location, "s") is None
