"""The Parquet result store: crash-safe writes through fsspec, latest-attempt reads, SQL.

>>> from pipeline.store import open_store, StoreWriter, read_table
>>> store = open_store("memory://doc-store")
>>> writer = StoreWriter(store, sweep="demo", trial_id="t1", attempt=1)
>>> writer.add("trials", {"status": "completed", "val_metric": 0.9})
>>> _ = writer.flush()
>>> read_table(store, "trials").column("val_metric").to_pylist()
[0.9]
"""

from pipeline.store._compact import Compaction, compact_sweep
from pipeline.store._location import (
    DEFAULT_STORE,
    Location,
    StoreError,
    check_readable,
    check_sweep_name,
    default_store,
    open_store,
)
from pipeline.store._reader import (
    bad_file_error,
    latest_attempts,
    read_all_attempts,
    read_files,
    read_table,
    sweeps_in,
    table_paths,
)
from pipeline.store._retire import retire_trials, set_aside, trial_ids_in
from pipeline.store._schema import (
    DATA_TEST_PREFIX,
    SCHEMA_VERSION,
    SCHEMAS,
    TABLES,
    SchemaError,
    to_table,
)
from pipeline.store._writer import (
    ATTEMPTS,
    StoreWriter,
    check_writable,
    claim_attempt,
    create_blob,
    next_attempt,
    read_blob,
    remove_blob,
    write_blob,
)
from pipeline.store.layout import SUPERSEDED, file_owner, table_files
from pipeline.store.query import QueryError, run_query

__all__ = [
    "ATTEMPTS",
    "DATA_TEST_PREFIX",
    "DEFAULT_STORE",
    "SCHEMAS",
    "SCHEMA_VERSION",
    "SUPERSEDED",
    "TABLES",
    "Compaction",
    "Location",
    "QueryError",
    "SchemaError",
    "StoreError",
    "StoreWriter",
    "bad_file_error",
    "check_readable",
    "check_sweep_name",
    "check_writable",
    "claim_attempt",
    "compact_sweep",
    "create_blob",
    "default_store",
    "file_owner",
    "latest_attempts",
    "next_attempt",
    "open_store",
    "read_all_attempts",
    "read_blob",
    "read_files",
    "read_table",
    "remove_blob",
    "retire_trials",
    "run_query",
    "set_aside",
    "sweeps_in",
    "table_files",
    "table_paths",
    "to_table",
    "trial_ids_in",
    "write_blob",
]
