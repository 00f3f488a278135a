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
    columns = [n for n in schema.names if n.startswith("params_") and n[7:] in SEARCHABLE]
    assert columns == [f"params_{name}" for name in SEARCHABLE]
    others = [n for n in schema.names if n.startswith("params_") and n not in columns]
    assert all(n.startswith("params_dataset_") for n in others)  # the dataset's options
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


def test_a_built_in_datasets_options_are_typed_params_dataset_columns():
    """Nested keys flatten as params_<section>_<key>: the options the dataset was built with,
    defaults included; a factory's options of another type stay in config_json only."""
    from pipeline.data import build_dataset, option_types
    from pipeline.store import SCHEMAS
    from pipeline.trial import dataset_fields

    schema = SCHEMAS["trials"]
    columns = {n: schema.field(n).type for n in schema.names if n.startswith("params_dataset_")}
    arrow = {int: "int64", float: "double", str: "string"}
    assert {n: str(t) for n, t in columns.items()} == {
        f"params_dataset_{name}": arrow[kind] for name, kind in option_types().items()
    }
    digits = dataset_fields(build_dataset({"name": "digits", "limit": 60, "transform": "C4"}, 0))
    assert (digits["params_dataset_transform"], digits["params_dataset_limit"]) == ("C4", 60)
    assert digits["params_dataset_max_angle"] == 45.0 and "params_dataset_length" not in digits
    from pipeline.trial import dataset_params

    odd = dataset_params({"limit": "all", "noise": 1, "radius": 2.0, "transform": True})
    assert odd == {"params_dataset_noise": 1.0}


def test_dataset_params_survive_the_store_typed(tmp_path):
    from pipeline.data import build_dataset
    from pipeline.store import StoreWriter, open_store, read_table
    from pipeline.trial import dataset_fields

    location = open_store(str(tmp_path / "store"))
    fields = dataset_fields(build_dataset({"name": "signals", "length": 16, "noise": 0}, 0))
    writer = StoreWriter(location, "s", "t", 1)
    writer.add("trials", trial_row(make_config({}), fields, "completed", None, 1, 0.5, 1.0, "cpu"))
    writer.flush()
    row = read_table(location, "trials", "s").to_pylist()[0]
    assert (row["params_dataset_length"], row["params_dataset_noise"]) == (16, 0.0)
    assert row["params_dataset_transform"] == "shift" and row["params_dataset_limit"] is None
