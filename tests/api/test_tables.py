"""pipeline.read_table and a Sweep's tables: latest attempts only, as pandas, polars or Arrow."""

import pyarrow as pa
import pytest

import pipeline
from pipeline.api import Sweep
from pipeline.errors import SymsearchError
from pipeline.store import StoreWriter, open_store


@pytest.fixture
def store(tmp_path):
    """Trial t1 ran twice (attempt 2 resumed at epoch 2), t2 once, in sweep s; t9 in sweep other."""
    location = open_store(str(tmp_path / "store"))
    for sweep, trial, attempt, epochs, metric in [
        ("s", "t1", 1, [1, 2], 0.1),
        ("s", "t1", 2, [2, 3], 0.7),
        ("s", "t2", 1, [1, 2, 3], 0.5),
        ("other", "t9", 1, [1], 0.9),
    ]:
        writer = StoreWriter(location, sweep, trial, attempt)
        writer.add("trials", {"status": "completed", "val_metric": metric})
        for epoch in epochs:
            writer.add("epochs", {"epoch": epoch, "val_metric": metric})
        writer.flush()
    return str(tmp_path / "store")


def test_read_table_keeps_each_trials_latest_attempt_as_pandas(store):
    trials = pipeline.read_table(store, "trials", sweep="s")
    found = zip(trials["trial_id"], trials["attempt"], trials["val_metric"], strict=True)
    assert sorted(found) == [("t1", 2, 0.7), ("t2", 1, 0.5)]
    assert set(pipeline.read_table(store, "trials")["sweep"]) == {"s", "other"}


def test_epochs_follow_the_attempt_chain(store):
    epochs = pipeline.read_table(store, "epochs", "s", backend="arrow").to_pylist()
    seen = sorted((row["trial_id"], row["epoch"], row["attempt"]) for row in epochs)
    assert seen == [
        ("t1", 1, 1),
        ("t1", 2, 2),
        ("t1", 3, 2),
        ("t2", 1, 1),
        ("t2", 2, 1),
        ("t2", 3, 1),
    ]


def test_backends(store):
    polars = pytest.importorskip("polars")
    sweep = Sweep("s", store)
    assert isinstance(sweep.trials(backend="polars"), polars.DataFrame)
    assert isinstance(sweep.epochs(backend="arrow"), pa.Table)
    assert len(sweep.trials()) == 2
    assert list(sweep.discovery().columns)[:2] == ["trial_id", "attempt"]
    with pytest.raises(ValueError, match="backend: expected one of pandas, polars, arrow"):
        sweep.robustness(backend="excel")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("trails",), "unknown table 'trails'; did you mean trials?"),
        (("trials", "../x"), "sweep: '../x' is not a sweep name"),
    ],
)
def test_bad_table_or_sweep_names_are_one_line_errors(store, args, message):
    with pytest.raises(SymsearchError, match=message.replace("?", r"\?").replace(".", r"\.")):
        pipeline.read_table(store, *args)


def test_a_missing_store_is_an_error_not_an_empty_table(tmp_path):
    with pytest.raises(SymsearchError, match=r"does not exist|no such|not a folder"):
        pipeline.read_table(str(tmp_path / "nowhere"), "trials")


def test_importing_pipeline_and_its_api_loads_no_heavy_library():
    import subprocess
    import sys

    code = (
        "import sys, pipeline, pipeline.api; pipeline.read_table; pipeline.open_sweep; "
        "pipeline.sweep; print(sorted(m for m in ('torch', 'ray', 'dask', 'duckdb', "
        "'polars', 'pandas') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
