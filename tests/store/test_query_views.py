"""``query``'s lazy views: the same rows as the store reader, files of an older schema (fewer
columns) read with nulls, and DuckDB allowed to read the tables' files only."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.store import QueryError, StoreWriter, open_store, read_table, run_query
from tests.store.test_compact import sweep_with_attempts


def test_the_views_read_what_the_store_reader_reads(tmp_path):
    store = open_store(str(tmp_path / "store"))
    sweep_with_attempts(store)
    for table, keys in [("epochs", "trial_id, attempt, epoch"), ("trials", "trial_id, attempt"),
                        ("discovery", "trial_id, generator")]:  # fmt: skip
        columns, rows = run_query(store, f"select * from {table} order by sweep, {keys}")
        expected = read_table(store, table).to_pylist()
        expected.sort(key=lambda r: tuple(str(r[k.strip()]) for k in ["sweep", *keys.split(",")]))
        assert [dict(zip(columns, row, strict=True)) for row in rows] == expected, table


@pytest.mark.parametrize("old_first", [True, False])
def test_a_file_of_an_older_schema_reads_its_new_columns_as_null(tmp_path, old_first):
    store = open_store(str(tmp_path / "store"))
    folder = tmp_path / "store" / "discovery" / "sweep=s"
    folder.mkdir(parents=True)
    old = pa.table({"trial_id": ["a"], "attempt": pa.array([1], pa.int32()),
                    "generator": ["rot"], "learned_width": [0.5]})  # fmt: skip
    pq.write_table(old, folder / f"{'a' if old_first else 'z'}-a1-00001-abcdef12.parquet")
    writer = StoreWriter(store, "s", "m", 1)
    writer.add("discovery", {"generator": "tx", "learned_width": 0.1, "p_value": 0.01})
    writer.flush()
    rows = run_query(store, "select trial_id, learned_width, p_value from discovery order by 1")
    assert rows[1] == [("a", 0.5, None), ("m", 0.1, 0.01)]


def test_a_table_file_is_readable_by_the_views_only(tmp_path):
    store = open_store(str(tmp_path / "store"))
    sweep_with_attempts(store)
    path = next((tmp_path / "store" / "trials" / "sweep=s").glob("*.parquet"))
    with pytest.raises(QueryError, match="refused"):
        run_query(store, f"select * from read_parquet('{path.parent}/*.parquet')")
