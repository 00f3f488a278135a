"""``query``'s lazy views: the same rows as the store reader, files of an older schema (fewer
columns) read with nulls, and DuckDB allowed to read the tables' files only."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.store import QueryError, StoreWriter, open_store, read_table, run_query
from tests.store.test_compact import sweep_with_attempts


def test_the_views_read_what_the_store_reader_reads(tmp_path):
    store = open_store(str(tmp_path / "store"))
    sweep_with_attempts(store)
    for table, keys in [
        ("epochs", "trial_id, attempt, epoch"),
        ("trials", "trial_id, attempt"),
        ("discovery", "trial_id, generator"),
    ]:
        columns, rows = run_query(store, f"select * from {table} order by sweep, {keys}")
        expected = read_table(store, table).to_pylist()
        expected.sort(key=lambda r: tuple(str(r[k.strip()]) for k in ["sweep", *keys.split(",")]))
        assert [dict(zip(columns, row, strict=True)) for row in rows] == expected, table


@pytest.mark.parametrize("old_first", [True, False])
def test_a_file_of_an_older_schema_reads_its_new_columns_as_null(tmp_path, old_first):
    store = open_store(str(tmp_path / "store"))
    folder = tmp_path / "store" / "discovery" / "sweep=s"
    folder.mkdir(parents=True)
    old = pa.table(
        {
            "trial_id": ["a"],
            "attempt": pa.array([1], pa.int32()),
            "generator": ["rot"],
            "learned_width": [0.5],
        }
    )
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


def test_earlier_attempts_are_read_once_and_cannot_be_named(tmp_path):
    store = open_store(str(tmp_path / "store"))
    sweep_with_attempts(store)
    _, rows = run_query(
        store,
        "select trial_id, attempt, epoch from epochs "
        "where trial_id in ('resumed', 'rerun') order by 1, 3",
    )
    assert rows == [
        ("rerun", 2, 1),
        ("rerun", 2, 2),
        *[("resumed", 1, e) for e in (1, 2, 3)],
        *[("resumed", 2, e) for e in (4, 5, 6)],
    ]
    _, rows = run_query(store, "select trial_id, attempt from trials order by 1")
    assert ("rerun", 1) not in rows and ("rerun", 2) in rows and len(rows) == 6
    # the views scan no earlier attempt of trials, so the sandbox allows no such file either
    earlier = next((tmp_path / "store" / "trials" / "sweep=s").glob("rerun-a1-*.parquet"))
    outside = tmp_path / "outside.parquet"
    pq.write_table(pa.table({"x": [1]}), outside)
    for path in (earlier, outside):
        with pytest.raises(QueryError, match="refused"):
            run_query(store, f"select * from read_parquet('{path}')")


def test_a_view_made_outside_a_query_reads_its_files(tmp_path):
    """A view holds its file list in a variable set once the view is made (as compaction
    uses it, with no sandbox)."""
    import duckdb

    from pipeline.store._views import register_table

    store = open_store(str(tmp_path / "store"))
    sweep_with_attempts(store)
    connection = duckdb.connect()
    register_table(connection, store, "epochs", str(tmp_path / "scratch"))
    counted = connection.sql("select count(*) from epochs").fetchall()
    assert counted == [(read_table(store, "epochs").num_rows,)] == [(21,)]


@given(
    st.lists(
        st.one_of(
            st.builds(
                "{}-a{}-{:05d}-{}.parquet".format,
                st.text("ab-1", min_size=1, max_size=6),
                st.integers(0, 12),
                st.integers(0, 99),
                st.text("0123456789abcdef", min_size=1),
            ),
            st.builds(
                "compacted-g{}-p{}-{}.parquet".format,
                st.integers(0, 9),
                st.integers(0, 3),
                st.text("0123456789abcdef", min_size=1),
            ),
            st.text("ab-1.gpqrtcomed", max_size=12),
        ),
        max_size=8,
    )
)
def test_file_names_are_parsed_as_the_writer_names_them(names):
    from pipeline.store._views import _names
    from pipeline.store.layout import file_generation, file_owner

    paths = [f"/s/epochs/sweep=x/{name}" for name in names]
    for parsed, path in zip(_names(paths), paths, strict=True):
        owner = file_owner(path)
        assert parsed.owner == (None if owner is None else ("sweep=x", owner[0]))
        assert parsed.attempt == (0 if owner is None else owner[1])
        assert parsed.generation == (file_generation(path) or 0)
