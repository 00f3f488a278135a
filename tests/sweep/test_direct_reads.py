"""A finished sweep compacts itself: DuckDB, Polars, pandas and Dask reading a table's folder
directly (the recipe of docs/how-to/direct-reads.md) read exactly the rows `symsearch query`
reads, on sweeps with rerun and resumed trials and files of an older schema version."""

import json
from types import SimpleNamespace

import pyarrow.parquet as pq
import pytest

import pipeline
from pipeline.store import SCHEMAS, TABLES, open_store, read_table, run_query
from pipeline.sweep._run import compact_finished
from tests.store.test_compact import sweep_with_attempts

SPACE = {
    "dataset": {"name": "signals", "length": 16, "n_samples": 120},
    "trial": {"epochs": 2, "robustness": "none"},
    "search": {"candidate_group": ["trivial", "shift16"]},
    "num_samples": 2,
    "scheduler": {"name": "fifo"},
    "searcher": "optuna",
}
SCHEMA_4 = ("model_group", "data_test_id", "val_size")  # trials columns added in version 4


def direct_reads(store: str, table: str, sweep: str) -> dict[str, list[dict]]:
    """The how-to's recipe, reader by reader."""
    import dask.dataframe as dd
    import duckdb
    import pandas as pd
    import polars as pl

    folder = f"{store}/{table}/sweep={sweep}"
    files = f"{folder}/*.parquet"
    frames = {
        "duckdb": duckdb.sql(f"select * from read_parquet('{files}', union_by_name=true)").df(),
        "polars": pl.read_parquet(files).to_pandas(),
        "pandas": pd.read_parquet(folder),
        "dask": dd.read_parquet(files).compute(),
    }
    return {reader: rows(frame, table) for reader, frame in frames.items()}


def test_the_how_to_recipe_is_the_one_tested():
    """docs/how-to/direct-reads.md shows the calls direct_reads makes, reader by reader."""
    from tests.docs_blocks import marked_block

    recipe = marked_block("docs/how-to/direct-reads.md", "direct-reads")
    assert 'files = "outputs/store/trials/sweep=rot/*.parquet"' in recipe
    for call in (
        "duckdb.sql(f\"select * from read_parquet('{files}', union_by_name=true)\")",
        "pl.read_parquet(files)",
        'pd.read_parquet("outputs/store/trials/sweep=rot")',
        "dd.read_parquet(files)",
    ):
        assert call in recipe, call


def queried(store: str, table: str, sweep: str) -> list[dict]:
    import pandas as pd

    columns, found = run_query(open_store(store), f"select * from {table} where sweep='{sweep}'")
    return rows(pd.DataFrame(found, columns=columns), table)


def rows(frame, table: str) -> list[dict]:
    """The table's schema columns (`sweep` is the folder's name, a column to some readers
    only) as plain values, in one order."""
    names = SCHEMAS[table].names
    assert set(names) <= set(frame.columns), set(names) - set(frame.columns)
    found = [
        {name: plain(value) for name, value in zip(names, values, strict=True)}
        for values in frame[names].itertuples(index=False, name=None)
    ]
    return sorted(found, key=lambda row: json.dumps(row, sort_keys=True, default=str))


def plain(value):
    """One spelling per value whatever the reader: lists, None for missing, whole floats as
    integers (pandas reads an integer column with nulls as floats)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    import pandas as pd

    if value is None or pd.isna(value):  # None, NaN, NaT, pandas' NA
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def assert_direct_reads_match_query(store: str, sweep: str) -> None:
    for table in TABLES:
        expected = queried(store, table, sweep)
        for reader, found in direct_reads(store, table, sweep).items():
            assert found == expected, f"{reader} reads {table} unlike query"


def write_old_schema_rerun(store: str, sweep: str, trial_id: str, attempt: int) -> None:
    """A rerun of a trial from scratch, written by a symsearch of schema version 3 (its trials
    row has no version-4 columns)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    location = open_store(store)
    for table in ("trials", "epochs"):
        data = read_table(location, table, sweep).drop_columns(["sweep"])
        data = data.filter(pc.equal(data["trial_id"], trial_id)).to_pylist()
        for row in data:
            row["attempt"] = attempt
            if table == "trials":
                row.update(schema_version=3, val_metric=0.123)
            else:
                row["train_loss"] += 1
        schema = pa.schema([f for f in SCHEMAS[table] if f.name not in SCHEMA_4])
        folder = location.path(table, f"sweep={sweep}")
        path = f"{folder}/{trial_id}-a{attempt}-00001-0bd5c4e3.parquet"
        pq.write_table(pa.Table.from_pylist(data, schema=schema), path)


def test_a_finished_store_with_reruns_resumes_and_old_files_reads_alike_directly(tmp_path):
    store = str(tmp_path / "store")
    location = open_store(store)
    sweep_with_attempts(location)  # one-attempt, resumed, rerun and never-ended trials
    write_old_schema_rerun(store, "s", "t0", 2)
    finished = SimpleNamespace(record=SimpleNamespace(name="s", store=store))
    compact_finished(SimpleNamespace(**vars(finished), space=SimpleNamespace(compact=False)))
    assert len(list((tmp_path / "store" / "epochs" / "sweep=s").glob("t0-a*"))) == 4  # as it was
    compact_finished(SimpleNamespace(**vars(finished), space=SimpleNamespace(compact=True)))
    assert_direct_reads_match_query(store, "s")
    trials = queried(store, "trials", "s")
    assert [(r["trial_id"], r["attempt"]) for r in trials if r["trial_id"] == "t0"] == [("t0", 2)]


@pytest.mark.slow
def test_a_finished_sweep_compacts_itself_and_reads_alike_directly(ray_session, outputs, tmp_path):
    store = str(tmp_path / "store")
    sweep = pipeline.sweep(SPACE, name="direct", store=store)
    first = sorted(sweep.trials()["trial_id"])[0]
    write_old_schema_rerun(store, "direct", first, 2)  # then a resume that adds a trial
    sweep.resume(num_samples=3)
    assert_direct_reads_match_query(store, "direct")
    trials = queried(store, "trials", "direct")
    assert len(trials) == 3
    assert [r["val_metric"] for r in trials if r["trial_id"] == first] == [0.123]
    files = sorted(p.name for p in (tmp_path / "store" / "trials" / "sweep=direct").iterdir())
    assert all(name.startswith("compacted-") for name in files), files


def test_compaction_is_a_sweep_setting_that_a_resume_may_change():
    from pipeline.space import SearchSpace, with_overrides, with_resume_overrides

    space = SearchSpace(dataset={"name": "signals"})
    assert space.compact is True  # on by default
    assert with_overrides(space, {"compact": False}).compact is False  # sweep --set compact=false
    assert with_resume_overrides(space, {"compact": False}).compact is False
