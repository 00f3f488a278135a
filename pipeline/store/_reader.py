"""Reading store tables with only the latest attempt of each record.

A record is a trial (trials, discovery, robustness) or a trial's epoch (epochs). Trials show the
rows of their latest attempt only. Epochs follow the chain of attempts back from the latest: an
attempt that continued from a checkpoint wrote only the epochs after it, so an earlier attempt
supplies the epochs *before* the later one's first epoch, never one the later attempt has or
passed. A re-run from scratch (its first epoch is 1) therefore hides every older epoch, and a
resumed trial still shows each of its epochs exactly once.

Table folders hold only the writer's files (``sweep=<name>/<trial>-a<n>-....parquet``) and
``symsearch compact``'s (``compacted-g<generation>-p<part>-<token>.parquet``: many trials'
latest rows). Where a record is in files of several generations (a compaction killed before it
moved the files it replaced), the highest generation's rows are read, so every record is read
once however far a compaction got. Names that start with "_" or "." are skipped (hidden
temporaries, files set aside). Anything else, and a file that does not parse or does not fit the
table's schema, is a StoreError naming the file.
"""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from pipeline.store._location import Location, StoreError, one_line, store_errors
from pipeline.store._schema import PARTITION, RECORD_KEYS, SCHEMAS, with_partition
from pipeline.store.layout import file_generation

GENERATION = "_generation"  # a column readers add while they sort out compacted duplicates


def set_aside_hint(location: Location, relative: str) -> str:
    """How to move a bad file out of the readers' way (kept, never deleted)."""
    return f"set it aside: symsearch set-aside {relative} --store {location.url}"


def read_all_attempts(location: Location, table: str, sweep: str | None = None) -> pa.Table:
    """Every row of a table, all attempts still stored, each record once (empty, with the
    schema, when nothing is there)."""
    return read_files(location, table, table_paths(location, table, sweep))


def read_files(
    location: Location, table: str, files: list[str], columns: list[str] | None = None
) -> pa.Table:
    """The rows of these table files (``columns``: only these, plus the record keys), a record
    found in several generations read from the highest only (see the module docstring)."""
    schema = with_partition(table)
    if columns is not None:
        keep = {PARTITION, "trial_id", "attempt", *RECORD_KEYS[table], *columns}
        schema = pa.schema([f for f in schema if f.name in keep])
    if not files:
        return schema.empty_table()
    by_generation: dict[int, list[str]] = {}
    for path in files:
        by_generation.setdefault(file_generation(path) or 0, []).append(path)
    parts = []
    for generation, paths in sorted(by_generation.items()):
        data = _read_dataset(location, table, paths, schema.names)
        parts.append(
            data.append_column(GENERATION, pa.array([generation] * data.num_rows, pa.int32()))
        )
    return prefer_latest_generation(pa.concat_tables(parts), table).drop_columns([GENERATION])


def _read_dataset(
    location: Location, table: str, files: list[str], columns: list[str] | None = None
) -> pa.Table:
    partitioning = ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive")
    with store_errors(location):
        try:
            dataset = ds.dataset(
                files,
                format="parquet",
                filesystem=arrow_filesystem(location),
                partitioning=partitioning,
                partition_base_dir=location.path(table),
                schema=with_partition(table),
            )
            return dataset.to_table(columns=columns)
        except (pa.ArrowException, OSError) as error:
            raise bad_file_error(location, table, files, error) from None


def arrow_filesystem(location: Location) -> object:
    """pyarrow's own filesystem for local stores (its native reads are much faster than going
    through fsspec's Python file objects); the store's fsspec filesystem otherwise."""
    if location.is_local:
        from pyarrow.fs import LocalFileSystem

        return LocalFileSystem()
    return location.fs


def prefer_latest_generation(data: pa.Table, table: str) -> pa.Table:
    """Rows of each record (trial and attempt; and epoch, in epochs) from its highest generation
    only."""
    generations = data[GENERATION]
    if data.num_rows == 0 or pc.min(generations).as_py() == pc.max(generations).as_py():
        return data  # one generation: nothing is duplicated
    keys = [PARTITION, "trial_id", "attempt", *RECORD_KEYS[table]]
    narrow = data.select([*keys, GENERATION]).append_column("row", pa.array(range(data.num_rows)))
    best = narrow.group_by(keys).aggregate([(GENERATION, "max")])
    joined = narrow.join(best, keys=keys)
    kept = joined.filter(pc.equal(joined[GENERATION], joined[f"{GENERATION}_max"]))["row"]
    return data.take(kept.take(pc.sort_indices(kept)))


def table_paths(location: Location, table: str, sweep: str | None = None) -> list[str]:
    """Paths of the table's files (of one sweep, or all), each checked to be a writer's file."""
    folder = location.path(table) if sweep is None else location.path(table, f"{PARTITION}={sweep}")
    with store_errors(location):
        location.fs.invalidate_cache()  # object stores cache listings; files may have appeared
        if not location.fs.isdir(folder):
            return []
        found = sorted(
            _local_find(folder, location.root) if location.is_local else location.fs.find(folder)
        )
    paths = []
    for path in found:
        relative = path[len(location.path(table)) + 1 :].split("/")
        if any(part.startswith(("_", ".")) for part in relative):
            continue  # hidden temporaries and set-aside files
        if (
            len(relative) != 2
            or not relative[0].startswith(f"{PARTITION}=")
            or file_generation(path) is None
        ):
            name = f"{table}/{'/'.join(relative)}"
            raise StoreError(
                f"{location.url}: {name} is not a table file of the store; "
                f"{set_aside_hint(location, name)}"
            )
        paths.append(path)
    return paths


def _local_find(folder: str, root: str) -> list[str]:
    """Every regular file under a local folder whose real path lies inside the store ``root``:
    os.scandir, without fsspec's stat of each file (a sweep's table folder may hold hundreds
    of thousands). Symlinks, FIFOs, sockets and devices are never listed, so no reader opens
    a file elsewhere or blocks on a pipe."""
    inside = os.path.realpath(root) + os.sep
    if not os.path.realpath(folder).startswith(inside):
        return []  # the table folder itself leads out of the store
    found, pending = [], [folder]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    found.append(entry.path)
    return found


def bad_file_error(
    location: Location, table: str, files: list[str], error: Exception
) -> StoreError:
    """Read the files one by one to name the one that fails."""
    import pyarrow.parquet as pq

    schema = SCHEMAS[table]
    for path in files:
        try:
            with location.fs.open(path, "rb") as handle:
                found = pq.read_schema(handle)
            for field in found:
                if (
                    field.name in schema.names
                    and field.type != schema.field(field.name).type
                    and field.type != pa.null()
                ):
                    raise TypeError(
                        f"column {field.name} is {field.type}, not {schema.field(field.name).type}"
                    )
        except (pa.ArrowException, OSError, TypeError) as reason:
            name = path[len(location.root) + 1 :]
            return StoreError(
                f"{location.url}: {name} cannot be read ({one_line(reason)}); "
                f"{set_aside_hint(location, name)}"
            )
    return StoreError(f"{location.url}: table {table} cannot be read ({one_line(error)})")


def read_table(location: Location, table: str, sweep: str | None = None) -> pa.Table:
    """The table with only the latest attempt per record."""
    if table not in SCHEMAS:
        raise ValueError(f"unknown table {table!r} (tables: {', '.join(SCHEMAS)})")
    return latest_attempts(read_all_attempts(location, table, sweep), table)


def latest_attempts(data: pa.Table, table: str) -> pa.Table:
    if data.num_rows == 0:
        return data
    trial = [PARTITION, "trial_id"]
    # Work on a narrow copy: Arrow joins cannot carry list columns such as the widths.
    narrow = data.select([*trial, "attempt", *RECORD_KEYS[table]])
    narrow = narrow.append_column("row", pa.array(range(data.num_rows)))
    if RECORD_KEYS[table]:
        kept = _attempt_chain(narrow, trial)
    else:
        latest = narrow.group_by(trial).aggregate([("attempt", "max")])
        joined = narrow.join(latest.rename_columns([*trial, "latest"]), keys=trial)
        kept = joined.filter(pc.equal(joined["attempt"], joined["latest"]))
    rows = kept["row"]
    rows = rows.take(pc.sort_indices(rows))  # keep the stored order
    names = [name for name in with_partition(table).names if name in data.column_names]
    return data.take(rows).select(names)


def _attempt_chain(narrow: pa.Table, trial: list[str]) -> pa.Table:
    """Epoch rows of the latest attempt, then of each earlier one below the next one's first
    epoch (see the module docstring)."""
    firsts = narrow.group_by([*trial, "attempt"]).aggregate([("epoch", "min")]).to_pylist()
    firsts.sort(key=lambda r: (r[PARTITION], r["trial_id"], -r["attempt"]))
    floors, floor, previous = [], None, None
    for record in firsts:
        key = (record[PARTITION], record["trial_id"])
        floor = None if key != previous else floor
        floors.append({**{k: record[k] for k in [*trial, "attempt"]}, "floor": floor})
        floor = record["epoch_min"] if floor is None else min(floor, record["epoch_min"])
        previous = key
    schema = pa.schema(
        [narrow.schema.field(k) for k in [*trial, "attempt"]]
        + [pa.field("floor", narrow.schema.field("epoch").type)]
    )
    joined = narrow.join(pa.Table.from_pylist(floors, schema=schema), keys=[*trial, "attempt"])
    below = pc.or_kleene(pc.is_null(joined["floor"]), pc.less(joined["epoch"], joined["floor"]))
    return joined.filter(below)


def sweeps_in(location: Location) -> list[str]:
    """Names of the sweeps with trials in the store."""
    folder = location.path("trials")
    with store_errors(location):
        location.fs.invalidate_cache()
        if not location.fs.isdir(folder):
            return []
        names = [p.rsplit("/", 1)[-1] for p in location.fs.ls(folder, detail=False)]
    return sorted(n.removeprefix(f"{PARTITION}=") for n in names if n.startswith(f"{PARTITION}="))
