"""One explicit pyarrow schema per store table (docs/architecture.md). Rows are cast to these
schemas on write; columns are only ever added, as nullable, with a new SCHEMA_VERSION. ``sweep``
is the hive partition and lives in the path, so files do not repeat it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

SCHEMA_VERSION = 5  # 2: discovery gains p_value, extent, extent_unit, present, extent_error;
# 3: trials gain the provenance columns (versions, git commit, device name, host); trials and
#    epochs gain robustness; discovery gains test_note;
# 4: the data_tests table (the sweep's data test, once per dataset and candidate); trials gain
#    model_group, data_test_id and val_size; discovery gains used_by_model and invariant_order;
# 5: trials gain one typed ``params_<setting>`` column per trial setting (PARAMS) and one
#    ``params_dataset_<option>`` per built-in dataset option (DATASET_PARAMS)
PARTITION = "sweep"

_KEYS = [("trial_id", pa.string()), ("attempt", pa.int32())]
_FLOAT, _STR, _BOOL, _INT = pa.float64(), pa.string(), pa.bool_(), pa.int64()

# Every trial setting (``pipeline.space.SEARCHABLE``: what a space can search) as its own typed
# column ``params_<setting>``, the value the trial ran with, searched or fixed; the names are
# the settings' names and stay as they are (tests/trial/test_rows.py checks the two lists agree).
PARAMS: list[tuple[str, pa.DataType]] = [
    ("candidate_group", _STR),
    ("prior", _STR),
    ("init_width", _FLOAT),
    ("reg", _FLOAT),
    ("tolerance", _FLOAT),
    ("symmetry_breaking", _STR),
    ("lr", _FLOAT),
    ("aug_lr", _FLOAT),
    ("aug_warmup", _INT),
    ("weight_decay", _FLOAT),
    ("epochs", _INT),
    ("batch_size", _INT),
    ("eval_samples", _INT),
    ("val_samples", _INT),
    ("temperature", _FLOAT),
    ("basis_orthogonality", _FLOAT),
    ("basis_sparsity", _FLOAT),
    ("basis_lr", _FLOAT),
    ("basis_warmup", _INT),
    ("basis_init", _STR),
    ("cosine_threshold", _FLOAT),
    ("active_threshold", _FLOAT),
    ("robustness", _STR),
    ("robustness_every", _INT),
    ("discovery", _STR),
    ("test_seed", _INT),
    ("test_repeats", _INT),
    ("seed", _INT),
    ("data_seed", _INT),
    ("device", _STR),
]
# The options of the built-in datasets (``pipeline.data.option_types``), flattened as
# ``params_dataset_<option>``: the values the trial's dataset was built with, defaults included.
DATASET_PARAMS: list[tuple[str, pa.DataType]] = [
    ("transform", _STR),
    ("max_angle", _FLOAT),
    ("max_shift", _FLOAT),
    ("max_scale", _FLOAT),
    ("upsample", _INT),
    ("size", _INT),
    ("limit", _INT),
    ("dim", _INT),
    ("n_points", _INT),
    ("n_samples", _INT),
    ("noise", _FLOAT),
    ("length", _INT),
    ("n_classes", _INT),
    ("harmonics", _INT),
    ("dt", _FLOAT),
    ("steps", _INT),
    ("task", _STR),
    ("coupling", _FLOAT),
    ("field", _FLOAT),
]
PARAMS_PREFIX = "params_"

SCHEMAS: dict[str, pa.Schema] = {
    "trials": pa.schema(
        [
            *_KEYS,
            ("status", _STR),
            ("error", _STR),
            ("dataset", _STR),
            ("true_group", _STR),
            ("candidate_group", _STR),
            ("prior", _STR),
            ("init_width", _FLOAT),
            ("reg", _FLOAT),
            ("tolerance", _FLOAT),
            ("n_samples", _INT),
            ("symmetry_breaking", _STR),
            ("lr", _FLOAT),
            ("tolerance_met", _BOOL),
            ("seed", _INT),
            ("epochs", _INT),
            ("metric_name", _STR),
            ("metric_mode", _STR),
            ("val_metric", _FLOAT),
            ("test_metric", _FLOAT),
            ("equivariance_error", _FLOAT),
            ("model_equivariance_error", _FLOAT),
            ("discovered_group", _STR),
            ("discovery_correct", _BOOL),
            ("train_seconds", _FLOAT),
            ("eval_seconds", _FLOAT),
            ("discovery_note", _STR),
            ("learned_rank", _INT),
            ("true_lie_dim", _INT),
            ("span_cosine", _FLOAT),
            ("closure_residual", _FLOAT),
            ("build_seconds", _FLOAT),
            ("total_seconds", _FLOAT),
            ("device", _STR),
            ("node", _STR),
            ("config_json", _STR),
            ("finished_at", _STR),
            ("schema_version", pa.int32()),
            ("robustness", _FLOAT),
            ("symsearch_version", _STR),
            ("torch_version", _STR),
            ("ray_version", _STR),
            ("python_version", _STR),
            ("git_commit", _STR),
            ("device_name", _STR),
            ("host", _STR),
            ("model_group", _STR),
            ("data_test_id", _STR),
            ("val_size", _INT),
            *((PARAMS_PREFIX + name, kind) for name, kind in PARAMS),
            *((f"{PARAMS_PREFIX}dataset_{name}", kind) for name, kind in DATASET_PARAMS),
        ]
    ),
    "epochs": pa.schema(
        [
            *_KEYS,
            ("epoch", _INT),
            ("train_loss", _FLOAT),
            ("val_metric", _FLOAT),
            ("widths", pa.list_(_FLOAT)),
            ("normalized_widths", pa.list_(_FLOAT)),
            ("seconds", _FLOAT),
            ("robustness", _FLOAT),
        ]
    ),
    "discovery": pa.schema(
        [
            *_KEYS,
            ("generator", _STR),
            ("learned_width", _FLOAT),
            ("normalized_width", _FLOAT),
            ("active", _BOOL),
            ("true_active", _BOOL),
            ("cosine", _FLOAT),
            ("matrix", pa.list_(_FLOAT)),
            ("matrix_dim", _INT),
            ("p_value", _FLOAT),
            ("extent", _FLOAT),
            ("extent_unit", _STR),
            ("present", _BOOL),
            ("extent_error", _FLOAT),
            ("test_note", _STR),
            ("used_by_model", _BOOL),
            ("invariant_order", _INT),
        ]
    ),
    "robustness": pa.schema(
        [
            *_KEYS,
            ("shift", _STR),
            ("magnitude", _FLOAT),
            ("unit", _STR),
            ("source", _STR),
            ("averaged", _BOOL),
            ("metric", _FLOAT),
            ("in_support", _BOOL),
        ]
    ),
    # trial_id: the data test's id (DATA_TEST_PREFIX...), one file set per (dataset, candidate)
    "data_tests": pa.schema(
        [
            *_KEYS,
            ("dataset", _STR),
            ("data_seed", _INT),
            ("candidate_group", _STR),
            ("test_seed", _INT),
            ("generator", _STR),
            ("present", _BOOL),
            ("p_value", _FLOAT),
            ("extent", _FLOAT),
            ("extent_unit", _STR),
            ("extent_error", _FLOAT),
            ("whole", _BOOL),
            ("test_note", _STR),
            ("visibility_p", _FLOAT),
            ("magnitudes", pa.list_(_FLOAT)),
            ("tv", pa.list_(_FLOAT)),
            ("matrix", pa.list_(_FLOAT)),
            ("matrix_dim", _INT),
            ("discovered_group", _STR),
            ("true_present", _BOOL),
            ("seconds", _FLOAT),
            ("invariant_order", _INT),
            ("subgroup", _STR),
        ]
    ),
}
TABLES = tuple(SCHEMAS)
# Rows that identify one logical record; readers keep its latest attempt.
RECORD_KEYS = {
    "trials": (),
    "epochs": ("epoch",),
    "discovery": (),
    "robustness": (),
    "data_tests": (),
}
# Owners of data_tests rows: not trials (resume never sets them aside, status never counts them)
DATA_TEST_PREFIX = "data-test-"


class SchemaError(ValueError):
    """Rows that do not fit a table's schema."""


def to_table(table: str, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Cast rows to the table's schema; missing columns are null, unknown ones an error."""
    schema = SCHEMAS[table]
    rows = [dict(row) for row in rows]
    for row in rows:
        row.pop(PARTITION, None)
        unknown = set(row) - set(schema.names)
        if unknown:
            raise SchemaError(f"{table}: unknown column {sorted(unknown)[0]!r}")
        if table == "trials":
            row.setdefault("schema_version", SCHEMA_VERSION)
    try:
        return pa.Table.from_pylist(rows, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise SchemaError(f"{table}: {error}") from None


def with_partition(table: str) -> pa.Schema:
    """The schema readers see: the file columns plus the hive partition."""
    return SCHEMAS[table].append(pa.field(PARTITION, pa.string()))
