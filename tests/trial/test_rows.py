"""The one builder of a ``trials`` row: what its caller knows enters as explicit parameters."""

import platform

from pipeline._util.provenance import provenance
from pipeline.space import make_config
from pipeline.trial import RunContext, trial_row

DATASET = {"dataset": "signals", "true_group": "shift16", "metric_name": "accuracy"}


def _row(error=None, **options):
    config = make_config({})
    return trial_row(config, DATASET, "completed", error, 3, 0.75, 1.5, "cpu", **options)


def test_a_trial_run_here_names_this_machine_and_this_commit():
    row = _row()
    assert row["node"] == platform.node() and row["error"] is None and row["robustness"] is None
    assert row["git_commit"] == provenance("cpu")["git_commit"]
    assert (row["epochs"], row["val_metric"], row["train_seconds"]) == (3, 0.75, 1.5)
    assert row["dataset"] == "signals" and row["config_json"] == make_config({}).to_json()


def test_the_context_sets_node_commit_and_the_restart_note():
    context = RunContext(node="host/abc", git_commit="f00d", restarted="wrong shape")
    row = _row(context=context, robustness=0.5)
    assert (row["node"], row["git_commit"], row["robustness"]) == ("host/abc", "f00d", 0.5)
    assert row["error"] == "saved state unusable (wrong shape); restarted from epoch 1"


def test_a_trial_that_failed_keeps_its_own_error_over_the_restart_note():
    row = _row("NumericalBreakdown: loss became nan", context=RunContext(restarted="bad file"))
    assert row["error"] == "NumericalBreakdown: loss became nan"


def test_every_trial_setting_is_a_typed_params_column_of_the_row_and_the_schema():
    """Searched settings (aug_lr, weight_decay, ...) are columns, not only config_json keys."""
    from pipeline.space import SEARCHABLE
    from pipeline.store import SCHEMAS

    config = make_config({"aug_lr": 0.05, "weight_decay": 0.001, "tolerance": None, "epochs": 7})
    row = trial_row(config, DATASET, "completed", None, 3, 0.75, 1.5, "cpu")
    assert (row["params_aug_lr"], row["params_weight_decay"]) == (0.05, 0.001)
    assert row["params_epochs"] == 7 and row["epochs"] == 3  # the budget beside the epochs run
    assert row["params_tolerance"] is None and row["params_candidate_group"] == "trivial"
    schema = SCHEMAS["trials"]
    columns = [name for name in schema.names if name.startswith("params_")]
    assert columns == [f"params_{name}" for name in SEARCHABLE]
    python_types = {"double": float, "int64": int, "string": str, "bool": bool}
    for name in SEARCHABLE:
        value = getattr(make_config({}), name)
        expected = python_types[str(schema.field(f"params_{name}").type)]
        assert value is None or type(value) is expected, name


def test_params_columns_read_typed_and_an_older_store_reads_beside_them(tmp_path):
    """A trials file of schema version 4 (no params_ columns) beside a new row: union by name,
    the old row's params null; read_table and SQL agree."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.store import SCHEMAS, StoreWriter, open_store, read_table, run_query

    location = open_store(str(tmp_path / "store"))
    old_schema = pa.schema([f for f in SCHEMAS["trials"] if not f.name.startswith("params_")])
    old = {"trial_id": "old", "attempt": 1, "status": "completed", "schema_version": 4}
    folder = tmp_path / "store" / "trials" / "sweep=s"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([old], schema=old_schema), folder / "old-a1-0-0a.parquet")
    writer = StoreWriter(location, "s", "new", 1)
    config = make_config({"aug_lr": 0.05, "batch_size": 32})
    writer.add("trials", trial_row(config, DATASET, "completed", None, 3, 0.75, 1.5, "cpu"))
    writer.flush()
    table = read_table(location, "trials", "s")
    assert table.schema.field("params_aug_lr").type == pa.float64()
    assert table.schema.field("params_batch_size").type == pa.int64()
    rows = {r["trial_id"]: r for r in table.to_pylist()}
    assert rows["new"]["params_aug_lr"] == 0.05 and rows["new"]["params_batch_size"] == 32
    assert rows["old"]["params_aug_lr"] is None and rows["new"]["schema_version"] == 5
    sql = "select trial_id, params_aug_lr from trials where params_batch_size = 32"
    assert run_query(location, sql) == (["trial_id", "params_aug_lr"], [("new", 0.05)])
