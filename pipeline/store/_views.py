"""The store's tables as DuckDB views that scan the Parquet files lazily.

Each table's files are handed to DuckDB as pyarrow datasets (hive-partitioned by ``sweep``, read
through the store's fsspec filesystem, so object stores work alike): DuckDB pushes projections
and filters into the scan and streams the rows, so memory stays flat however large the store
grows, and DuckDB itself never opens a path (its sandbox keeps external access off).

The latest-attempt rule (``_reader``) is applied in two steps. From the file names: of a
trial's own files, only its latest attempt's are scanned in the tables with one record per trial
(trials, discovery, robustness). In SQL, only where it can change anything: a record present in
several generations (a compaction not yet finished) is taken from the highest, and in ``epochs``
the chain of attempts keeps each epoch of a resumed trial once.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pipeline.store._location import Location
from pipeline.store._reader import GENERATION, table_paths
from pipeline.store._schema import PARTITION, RECORD_KEYS, with_partition
from pipeline.store._writer import file_generation, file_owner


def register_table(connection: Any, location: Location, table: str) -> list[str]:
    """Create the view ``table`` over the store's files; returns the files it scans."""
    files = table_paths(location, table)
    groups = _generations(files, latest_only=not RECORD_KEYS[table])
    sources = []
    for generation, paths in sorted(groups.items()):
        name = f"_{table}_files_g{generation}"
        connection.register(name, _dataset(location, table, paths))
        sources.append(f"select *, {generation} as {GENERATION} from {name}")
    columns = with_partition(table).names
    if not sources:  # an empty table still has its columns
        connection.register(f"_{table}_files", with_partition(table).empty_table())
        sources.append(f"select *, 0 as {GENERATION} from _{table}_files")
    several = len(sources) > 1
    chain = bool(RECORD_KEYS[table]) and (several or _resumed(groups.get(0, [])))
    sql = view_sql(table, " union all ".join(sources), columns, several, chain)
    connection.execute(f"create view {table} as {sql}")
    return [path for paths in groups.values() for path in paths]


def _generations(files: list[str], latest_only: bool) -> dict[int, list[str]]:
    """Files by generation; of the writer's files only each trial's latest attempt's, where a
    trial has one record per attempt."""
    groups: dict[int, list[str]] = defaultdict(list)
    latest: dict[tuple[str, str], int] = {}
    for path in files:
        owner = file_owner(path)
        generation = file_generation(path) or 0
        if generation == 0 and owner is not None:
            key = (path.rsplit("/", 2)[-2], owner[0])  # (sweep=<name>, trial)
            latest[key] = max(latest.get(key, 0), owner[1])
    for path in files:
        generation = file_generation(path) or 0
        owner = file_owner(path)
        if latest_only and generation == 0 and owner is not None \
                and owner[1] < latest[(path.rsplit("/", 2)[-2], owner[0])]:  # fmt: skip
            continue
        groups[generation].append(path)
    return dict(groups)


def _resumed(files: list[str]) -> bool:
    """Whether any trial has files of more than one attempt."""
    attempts: dict[tuple[str, str], int] = {}
    for path in files:
        trial, attempt = file_owner(path) or ("", 0)
        key = (path.rsplit("/", 2)[-2], trial)
        if attempts.setdefault(key, attempt) != attempt:
            return True
    return False


def _dataset(location: Location, table: str, paths: list[str]) -> Any:
    import pyarrow as pa
    import pyarrow.dataset as ds

    partitioning = ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive")
    return ds.dataset(paths, format="parquet", filesystem=location.fs,
                      schema=with_partition(table), partitioning=partitioning,
                      partition_base_dir=location.path(table))  # fmt: skip


def view_sql(table: str, source: str, columns: list[str], several: bool, chain: bool) -> str:
    """The latest rows of a table, from ``source`` (its rows with a generation column)."""
    trial = f"{PARTITION}, trial_id"
    record = ", ".join([PARTITION, "trial_id", "attempt", *RECORD_KEYS[table]])
    rows = f"({source})"
    if several:  # a record from its highest generation only
        rows = (f"(select * from {rows} qualify {GENERATION} = "
                f"max({GENERATION}) over (partition by {record}))")  # fmt: skip
    listed = ", ".join(f"r.{c}" for c in columns)
    if not RECORD_KEYS[table]:
        if not several:
            return f"select {listed} from {rows} r"
        return (f"select {listed} from {rows} r "
                f"qualify r.attempt = max(r.attempt) over (partition by r.{PARTITION}, r.trial_id)")
    if not chain:
        return f"select {listed} from {rows} r"
    # an earlier attempt keeps only the epochs below the first epoch of every later one
    return f"""with r as (select * from {rows}),
        firsts as (select {trial}, attempt, min(epoch) as first_epoch from r group by all),
        floors as (select {trial}, attempt, min(first_epoch) over (partition by {trial}
                   order by attempt desc rows between unbounded preceding and 1 preceding)
                   as floor_epoch from firsts)
        select {listed} from r join floors f on r.{PARTITION} = f.{PARTITION}
            and r.trial_id = f.trial_id and r.attempt = f.attempt
        where f.floor_epoch is null or r.epoch < f.floor_epoch"""
