"""Escape attempts against ``run_query``: none may read, list, write or reach anything but the
store's tables. Each runs in a folder that holds a secret in ``./.tmp`` (DuckDB's default temporary
directory, which its external-access switch still allows) and one outside file."""

from pathlib import Path

import pytest

from pipeline.store import QueryError, StoreWriter, open_store, run_query

SECRET = "s3cr3t-content"

ESCAPES = [
    # DuckDB's default temporary directory ./.tmp
    "select * from read_csv('.tmp/secret.csv')",
    "select * from glob('{cwd}/.tmp/*')",
    "select * from glob('.tmp/*')",
    "EXPLAIN ANALYZE COPY (select 'x') TO '.tmp/secret.csv'",
    "EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1",
    "explain analyse (format json) copy (select 1) to '{cwd}/written.csv'",
    "EXPLAIN COPY (select 1) TO '{cwd}/written.csv'",
    "EXPLAIN ANALYZE /* a comment */ INSERT INTO trials VALUES (1)",
    # readers and metadata of outside files
    "select * from read_csv('{outside}')",
    "select * from read_csv_auto('{outside}')",
    "select * from read_text('{outside}')",
    "select * from read_blob('{outside}')",
    "select * from read_json('{outside}')",
    "select * from read_parquet('{store}/trials/*/*.parquet')",
    "select * from parquet_metadata('{store}/trials/*/*.parquet')",
    "select * from parquet_schema('{store}/trials/*/*.parquet')",
    "select * from sniff_csv('{outside}')",
    "select * from glob('{cwd}/*')",
    "select * from '{outside}'",
    # URLs
    "select * from read_csv('http://127.0.0.1:9/x.csv')",
    "select * from read_parquet('https://example.com/x.parquet')",
    "select * from read_parquet('s3://bucket/x.parquet')",
    # statements other than SELECT
    "ATTACH '{cwd}/other.db'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET temp_directory = '{cwd}'",
    "RESET lock_configuration",
    "PRAGMA enable_profiling",
    "COPY trials TO '{cwd}/written.csv'",
    "EXPORT DATABASE '{cwd}/exported'",
    "CREATE TABLE t AS SELECT 1",
    "CREATE SECRET (TYPE s3, KEY_ID 'x', SECRET 'y')",
    "DETACH memory",
    "CHECKPOINT",
    "CALL pragma_version()",
    # several statements, or one hidden in comments or in query()
    "select 1; select 2",
    "select 1; copy trials to '{cwd}/written.csv'",
    "select 1 /* ; */; copy trials to '{cwd}/written.csv'",
    "select 1 -- comment\n; attach '{cwd}/other.db'",
    "/* select 1; */ copy trials to '{cwd}/written.csv'",
    "select * from query('copy trials to ''{cwd}/written.csv''')",
    "select * from query('select * from read_csv(''.tmp/secret.csv'')')",
    "select * from query_table('{outside}')",
]


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".tmp").mkdir()
    (tmp_path / ".tmp" / "secret.csv").write_text(f"{SECRET},1\n")
    outside = tmp_path / "outside.csv"
    outside.write_text(f"{SECRET},2\n")
    store = tmp_path / "store"
    writer = StoreWriter(open_store(str(store)), "s", "t1", 1)
    writer.add("trials", {"status": "completed", "val_metric": 0.5})
    writer.flush()
    return tmp_path, store, outside


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("template", ESCAPES)
def test_escape_attempts_are_refused_and_change_nothing(sandbox, template):
    cwd, store, outside = sandbox
    before = snapshot(cwd)
    sql = template.format(cwd=cwd, store=store, outside=outside)
    with pytest.raises(QueryError) as refused:
        run_query(open_store(str(store)), sql)
    assert SECRET not in str(refused.value)
    assert "\n" not in str(refused.value)
    assert snapshot(cwd) == before  # nothing written, moved or removed
    assert sorted(p.name for p in cwd.iterdir()) == [".tmp", "outside.csv", "store"]


def test_the_store_tables_stay_readable_and_explain_of_a_select_works(sandbox):
    _, store, _ = sandbox
    location = open_store(str(store))
    assert run_query(location, "select count(*) from trials")[1] == [(1,)]
    for sql in (
        "explain select * from trials",
        "EXPLAIN ANALYZE select * from trials",
        "explain (format json) select 1",
        "/* why */ explain analyze (select 1)",
        "select * from query('select val_metric from trials')",
    ):
        columns, _ = run_query(location, sql)
        assert columns


def test_each_query_gets_a_private_temporary_directory_removed_after(sandbox):
    cwd, store, _ = sandbox
    location = open_store(str(store))
    first = run_query(location, "select current_setting('temp_directory')")[1][0][0]
    second = run_query(location, "select current_setting('temp_directory')")[1][0][0]
    assert first != second
    for folder in (first, second):
        assert not Path(folder).exists()
        assert not Path(folder).resolve().is_relative_to(cwd)
