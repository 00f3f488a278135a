"""One contract suite for every backend: round trips, casting, latest attempts, no partial files."""

import threading

import pyarrow as pa
import pytest

from pipeline.store import (
    SCHEMAS,
    TABLES,
    SchemaError,
    StoreWriter,
    open_store,
    read_all_attempts,
    read_table,
)

ROWS = {
    "trials": {
        "status": "completed",
        "dataset": "digits",
        "candidate_group": "SO2",
        "val_metric": 0.9,
        "discovery_correct": True,
        "seed": 3,
        "tolerance": None,
    },
    "epochs": {"epoch": 1, "train_loss": 0.5, "val_metric": 0.8, "widths": [0.1, 2.0]},
    "discovery": {
        "generator": "rot",
        "learned_width": 3.1,
        "normalized_width": 0.99,
        "active": True,
        "true_active": True,
        "cosine": None,
    },
    "robustness": {
        "shift": "rot",
        "magnitude": 90.0,
        "unit": "degrees",
        "averaged": True,
        "metric": 0.88,
    },
    "data_tests": {
        "candidate_group": "SO2",
        "test_seed": 0,
        "generator": "rot",
        "present": True,
        "tv": [0.0, 0.1],
        "matrix": [0.0, -1.0, 1.0, 0.0],
    },
}


def test_every_table_round_trips(store_url):
    store = open_store(store_url)
    writer = StoreWriter(store, "sweep-a", "t1", 1)
    for table, row in ROWS.items():
        writer.add(table, row)
    written = writer.flush()
    assert len(written) == len(TABLES) and len(set(written)) == len(written)
    for table, row in ROWS.items():
        data = read_table(store, table)
        assert data.num_rows == 1
        record = data.to_pylist()[0]
        assert (
            record["sweep"] == "sweep-a" and record["trial_id"] == "t1" and record["attempt"] == 1
        )
        for key, value in row.items():
            assert record[key] == value
        assert data.schema.field("attempt").type == pa.int32()


def test_rows_are_cast_to_the_schema(store_url):
    store = open_store(store_url)
    writer = StoreWriter(store, "s", "t1", 1)
    writer.add("epochs", {"epoch": 2, "train_loss": 1, "widths": [1, 2]})  # ints into floats
    writer.flush()
    record = read_table(store, "epochs").to_pylist()[0]
    assert record["train_loss"] == 1.0 and isinstance(record["train_loss"], float)
    assert record["widths"] == [1.0, 2.0] and record["seconds"] is None
    with pytest.raises(SchemaError, match="unknown column 'colour'"):
        writer.add("trials", {"colour": "red"})
        writer.flush()
    writer.buffers["trials"] = []
    with pytest.raises(SchemaError, match="trials"):
        writer.add("trials", {"val_metric": "high"})
        writer.flush()


def test_readers_keep_the_latest_attempt_of_each_trial_and_epoch(store_url):
    store = open_store(store_url)
    first = StoreWriter(store, "s", "t1", 1)
    for epoch in (1, 2, 3):
        first.add("epochs", {"epoch": epoch, "train_loss": float(epoch)})
        first.flush()
    first.add("discovery", {"generator": "rot", "learned_width": 0.1})
    first.add("discovery", {"generator": "tx", "learned_width": 0.2})
    first.flush()
    resumed = StoreWriter(store, "s", "t1", 2)  # continued from the epoch-2 checkpoint
    for epoch in (3, 4):
        resumed.add("epochs", {"epoch": epoch, "train_loss": 10.0 * epoch})
    resumed.add("discovery", {"generator": "rot", "learned_width": 3.0})
    resumed.add("trials", {"status": "completed"})
    resumed.flush()
    other = StoreWriter(store, "s", "t2", 1)
    other.add("trials", {"status": "failed", "error": "loss became nan"})
    other.flush()

    epochs = read_table(store, "epochs").to_pylist()
    assert sorted((r["epoch"], r["attempt"], r["train_loss"]) for r in epochs) == [
        (1, 1, 1.0),
        (2, 1, 2.0),
        (3, 2, 30.0),
        (4, 2, 40.0),
    ]
    discovery = read_table(store, "discovery").to_pylist()
    assert [(r["generator"], r["learned_width"]) for r in discovery] == [("rot", 3.0)]
    trials = read_table(store, "trials")
    assert sorted(trials["trial_id"].to_pylist()) == ["t1", "t2"]
    assert read_all_attempts(store, "epochs").num_rows == 5


def test_sweeps_are_partitions(store_url):
    store = open_store(store_url)
    for sweep in ("alpha", "beta"):
        writer = StoreWriter(store, sweep, "t1", 1)
        writer.add("trials", {"status": "completed"})
        writer.flush()
    assert read_table(store, "trials").num_rows == 2
    assert read_table(store, "trials", sweep="beta")["sweep"].to_pylist() == ["beta"]


def test_an_empty_store_reads_as_empty_tables(store_url):
    store = open_store(store_url)
    for table in TABLES:
        data = read_table(store, table)
        assert data.num_rows == 0 and set(SCHEMAS[table].names) <= set(data.schema.names)


BATCH = 5


def test_readers_never_see_a_partial_file(store_url):
    store = open_store(store_url)
    flushes = 30
    done = threading.Event()

    def write():
        writer = StoreWriter(store, "s", "t1", 1)
        for i in range(flushes):
            writer.add_rows(
                "epochs", [{"epoch": i * BATCH + j, "train_loss": 0.1} for j in range(BATCH)]
            )
            writer.flush()
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    seen = []
    for _ in range(400):  # bounded: stops once the writer is done, or after 400 reads
        rows = read_table(store, "epochs").num_rows  # raises on a partial file
        assert rows % BATCH == 0
        seen.append(rows)
        if done.is_set() and rows == flushes * BATCH:
            break
    thread.join(timeout=60)
    assert seen == sorted(seen) and seen[-1] == flushes * BATCH


def test_two_writers_of_the_same_attempt_never_overwrite_each_other(store_url):
    store = open_store(store_url)
    paths = []
    for value in (1.0, 2.0):
        writer = StoreWriter(store, "s", "t1", 1)
        writer.add("epochs", {"epoch": 1, "train_loss": value})
        paths += writer.flush()
    assert len(set(paths)) == 2
    assert read_all_attempts(store, "epochs").num_rows == 2
