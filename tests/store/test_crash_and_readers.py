"""A writer killed mid-flush leaves a readable store; other tools read it directly."""

import os
import signal
import subprocess
import sys
import time

import pytest

from pipeline.store import StoreWriter, open_store, read_table

WRITER = """
import sys
from pipeline.store import StoreWriter, open_store
writer = StoreWriter(open_store(sys.argv[1]), "crash", "t1", 1)
for i in range(100000):
    writer.add_rows("epochs", [{"epoch": i * 50 + j, "train_loss": 0.5} for j in range(50)])
    writer.flush()
    print(i, flush=True)  # acknowledged: every row of flush i is on disk
"""


def test_sigkill_mid_flush_loses_nothing_acknowledged(tmp_path):
    url = str(tmp_path / "store")
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, text=True
    )
    acknowledged = -1
    deadline = time.monotonic() + 60
    while acknowledged < 20 and time.monotonic() < deadline:  # bounded wait
        line = process.stdout.readline()
        if not line:
            break
        acknowledged = int(line)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert acknowledged >= 20
    epochs = read_table(open_store(url), "epochs")["epoch"].to_pylist()
    assert len(epochs) == len(set(epochs))  # every row exactly once
    assert set(range((acknowledged + 1) * 50)) <= set(epochs)  # all acknowledged rows
    assert len(epochs) % 50 == 0  # and whole flushes only: no partial file was read


@pytest.fixture
def local_store(tmp_path):
    store = open_store(str(tmp_path / "store"))
    for sweep, attempt in (("a", 1), ("b", 1)):
        writer = StoreWriter(store, sweep, "t1", attempt)
        writer.add("trials", {"status": "completed", "val_metric": 0.5})
        writer.flush()
    return tmp_path / "store"


def test_duckdb_reads_the_store_with_hive_partitioning(local_store):
    import duckdb

    rows = duckdb.sql(
        f"select sweep, count(*) from read_parquet('{local_store}/trials/*/*.parquet', "
        "hive_partitioning = true) group by sweep order by sweep"
    ).fetchall()
    assert rows == [("a", 1), ("b", 1)]


def test_polars_reads_the_store(local_store):
    polars = pytest.importorskip("polars")
    frame = polars.read_parquet(f"{local_store}/trials/**/*.parquet", hive_partitioning=True)
    assert sorted(frame["sweep"].to_list()) == ["a", "b"]


def test_pandas_reads_the_store(local_store):
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_parquet(local_store / "trials")
    assert sorted(frame["sweep"].astype(str)) == ["a", "b"]
