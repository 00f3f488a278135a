"""Reading store tables with only the latest attempt of each record.

A record is a trial (trials, discovery, robustness) or a trial's epoch (epochs): a resumed trial
that continued from a checkpoint under a new attempt shows each trial and epoch exactly once.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from pipeline.store._location import Location
from pipeline.store._schema import PARTITION, RECORD_KEYS, SCHEMAS, with_partition


def read_all_attempts(location: Location, table: str, sweep: str | None = None) -> pa.Table:
    """Every row of a table, all attempts (empty, with the schema, when nothing is there)."""
    folder = location.path(table)
    location.fs.invalidate_cache()  # object stores cache listings; files may have appeared
    if not location.fs.exists(folder):
        return with_partition(table).empty_table()
    partitioning = ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive")
    dataset = ds.dataset(folder, format="parquet", filesystem=location.fs,
                         partitioning=partitioning, schema=with_partition(table))  # fmt: skip
    selected = None if sweep is None else pc.field(PARTITION) == sweep
    return dataset.to_table(filter=selected)


def read_table(location: Location, table: str, sweep: str | None = None) -> pa.Table:
    """The table with only the latest attempt per record."""
    if table not in SCHEMAS:
        raise ValueError(f"unknown table {table!r} (tables: {', '.join(SCHEMAS)})")
    return latest_attempts(read_all_attempts(location, table, sweep), table)


def latest_attempts(data: pa.Table, table: str) -> pa.Table:
    if data.num_rows == 0:
        return data
    keys = [PARTITION, "trial_id", *RECORD_KEYS[table]]
    # Join on a narrow copy: Arrow joins cannot carry list columns such as the widths.
    narrow = data.select([*keys, "attempt"]).append_column("row", pa.array(range(data.num_rows)))
    latest = narrow.group_by(keys).aggregate([("attempt", "max")])
    joined = narrow.join(latest.rename_columns([*keys, "latest"]), keys=keys, join_type="inner")
    rows = joined.filter(pc.equal(joined["attempt"], joined["latest"]))["row"]
    rows = rows.take(pc.sort_indices(rows))  # keep the stored order
    return data.take(rows).select(with_partition(table).names)


def sweeps_in(location: Location) -> list[str]:
    """Names of the sweeps with trials in the store."""
    folder = location.path("trials")
    location.fs.invalidate_cache()
    if not location.fs.exists(folder):
        return []
    names = [p.rsplit("/", 1)[-1] for p in location.fs.ls(folder, detail=False)]
    return sorted(n.removeprefix(f"{PARTITION}=") for n in names if n.startswith(f"{PARTITION}="))
