"""The store's listing holds only regular files inside it (no symlinks, FIFOs or devices), and
each query runs within memory, temporary-disk and row limits; csv and json stream."""

import json
import os

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.store import QueryError, StoreWriter, open_store, read_table, run_query
from pipeline.store.query import stream_query
from tests.store.test_query_sandbox import SECRET

runner = CliRunner()
TABLE_FILE = "t9-a1-00001-0123abcd.parquet"  # a name the store's writer could have given


@pytest.fixture
def store(tmp_path):
    writer = StoreWriter(open_store(str(tmp_path / "store")), "s", "t1", 1)
    writer.add("trials", {"status": "completed", "val_metric": 0.5})
    writer.flush()
    return tmp_path / "store"


def test_a_symlink_named_like_a_table_file_is_never_read(store, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text(SECRET)
    link = store / "trials" / "sweep=s" / TABLE_FILE
    link.symlink_to(outside)
    location = open_store(str(store))
    assert run_query(location, "select count(*) from trials")[1] == [(1,)]
    with pytest.raises(QueryError, match="reaches outside the store"):
        run_query(location, f"select * from read_text('{link}')")
    assert read_table(location, "trials").num_rows == 1


def test_a_table_folder_that_leads_out_of_the_store_is_not_listed(store, tmp_path):
    other = StoreWriter(open_store(str(tmp_path / "other")), "s", "t2", 1)
    other.add("epochs", {"epoch": 1})
    other.flush()
    (store / "epochs").symlink_to(tmp_path / "other" / "epochs")
    assert run_query(open_store(str(tmp_path / "other")), "select count(*) from epochs")[1] == [
        (1,)
    ]
    assert run_query(open_store(str(store)), "select count(*) from epochs")[1] == [(0,)]


@pytest.mark.timeout(60)
def test_a_fifo_named_like_a_table_file_never_blocks_a_query(store):
    os.mkfifo(store / "trials" / "sweep=s" / TABLE_FILE)
    assert run_query(open_store(str(store)), "select count(*) from trials")[1] == [(1,)]


def test_each_query_has_memory_and_temporary_disk_limits(store):
    location = open_store(str(store))
    sql = "select current_setting('memory_limit'), current_setting('max_temp_directory_size')"
    memory, temporary = run_query(location, sql)[1][0]
    assert memory.startswith(("1.8 GiB", "1.9 GiB", "2.0 GiB", "1.8GiB", "1.9GiB"))
    assert temporary.startswith(("3.7 GiB", "3.8 GiB", "4.0 GiB", "3.7GiB"))


def test_a_limit_fetches_only_that_many_rows(store):
    location = open_store(str(store))
    assert len(run_query(location, "select * from range(300000000)", limit=5)[1]) == 5
    batches = []
    stream_query(location, "select * from range(25000)", lambda c, rows: batches.append(len(rows)))
    assert sum(batches) == 25000 and max(batches) <= 10_000


def test_the_cli_caps_a_printed_table_and_streams_csv_and_json(store):
    done = runner.invoke(
        app, ["query", "select * from range(30)", "--store", str(store), "--limit", "4"]
    )
    assert done.exit_code == 0, done.output
    assert done.stdout.split()[2:] == ["0", "1", "2", "3"]
    assert "the first 4 rows" in done.stderr
    csv = runner.invoke(
        app,
        ["query", "select range as r from range(20001)", "--store", str(store), "--format", "csv"],
    )
    assert csv.stdout.split() == ["r", *map(str, range(20001))]
    as_json = runner.invoke(
        app,
        [
            "query",
            "select range as r, 'x' as s from range(3)",
            "--store",
            str(store),
            "--format",
            "json",
        ],
    )
    assert json.loads(as_json.stdout) == [{"r": i, "s": "x"} for i in range(3)]
    empty = runner.invoke(
        app, ["query", "select 1 as r where false", "--store", str(store), "--format", "json"]
    )
    assert json.loads(empty.stdout) == []
    bad = runner.invoke(app, ["query", "select 1", "--store", str(store), "--limit", "0"])
    assert bad.exit_code == 2 and "--limit" in bad.output


def test_a_file_set_aside_between_listing_and_reading_is_seen_or_not_never_an_error(
    store, monkeypatch
):
    """The race of ``set-aside`` during a query, made certain: the file moves right after the
    query listed the store and before DuckDB reads it."""
    import pipeline.store.query as query_module
    from pipeline.store import set_aside

    location = open_store(str(store))
    writer = StoreWriter(location, "s", "t2", 1)
    writer.add("trials", {"status": "completed", "val_metric": 0.7})
    moved = writer.flush()[0]
    name = moved.removeprefix(location.root + "/")
    lock_down, calls = query_module.lock_down, []

    def move_then_lock_down(*arguments):
        if not calls:
            set_aside(location, name)
        calls.append(1)
        return lock_down(*arguments)

    monkeypatch.setattr(query_module, "lock_down", move_then_lock_down)
    _, rows = run_query(location, "select trial_id from trials order by 1")
    assert rows == [("t1",)] and len(calls) == 2
