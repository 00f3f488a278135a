"""The store's tables as DuckDB views that scan the Parquet files lazily.

DuckDB pushes projections and filters into the scan and streams the rows, so memory stays flat
however large the store grows. On local disk DuckDB's own Parquet reader scans the listed files
(hive-partitioned by ``sweep``): the sandbox allows exactly these paths (``allowed_paths``), so
the user's SQL can name no other file, nor list a folder. A zero-row file of the table's full
schema, written in the query's private folder, comes first, so DuckDB binds the current columns;
files of an older schema (fewer columns) make DuckDB refuse the scan, and the views are then made
again matching columns by name (``union_by_name``, slower: every footer is read first). Object
stores are scanned as pyarrow datasets through the store's fsspec filesystem.

The latest-attempt rule (``_reader``) is applied in two steps. From the file names: of a
trial's own files, only its latest attempt's are scanned in the tables with one record per trial
(trials, discovery, robustness). In SQL, only where it can change anything: a record present in
several generations (a compaction not yet finished) is taken from the highest, and in ``epochs``
the chain of attempts keeps each epoch of a trial with several attempts once.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pipeline.store._location import Location
from pipeline.store._reader import GENERATION, arrow_filesystem, table_paths
from pipeline.store._schema import PARTITION, RECORD_KEYS, with_partition
from pipeline.store._writer import file_generation, file_owner


def register_table(connection: Any, location: Location, table: str, scratch: str,
                   by_name: bool = False, files: list[str] | None = None) -> list[str]:  # fmt: skip
    """Create (or replace) the view ``table`` over the store's files (or these ``files`` of
    it); returns the files it scans (on local disk the sandbox must allow exactly these, and
    the schema file)."""
    files = table_paths(location, table) if files is None else files
    groups = _generations(files, latest_only=not RECORD_KEYS[table])
    originals = groups.pop(0, [])
    if not groups:  # the writer's files only: the rule where a trial has several attempts
        single, resumed = _split_resumed(originals)
        plain, ruled = [(0, single)], [(0, resumed)]
    elif not originals and len(groups) == 1:  # one compaction's files: already the latest
        plain, ruled = list(groups.items()), []
    else:  # several generations: every record from its highest, then the latest attempt
        plain, ruled = [], [(0, originals), *sorted(groups.items())]
    columns = with_partition(table).names
    parts = []
    for kind, sources in (("plain", plain), ("ruled", ruled)):
        for number, (generation, paths) in enumerate(sources):
            if not paths:
                continue
            scan = _scan(connection, location, table, f"{kind}{number}", paths, scratch, by_name)
            parts.append((kind, f"select *, {generation} as {GENERATION} from {scan}"))
    if not parts:  # an empty table still has its columns
        connection.register(f"_{table}_none", with_partition(table).empty_table())
        parts.append(("plain", f"select *, 0 as {GENERATION} from _{table}_none"))
    pieces = [f"select {', '.join(columns)} from ({sql})" for kind, sql in parts if kind == "plain"]
    ruled_sql = [sql for kind, sql in parts if kind == "ruled"]
    if ruled_sql:  # the latest-attempt rule, only over the files where it can change anything
        pieces.append(view_sql(table, " union all ".join(ruled_sql), columns,
                               several=len(ruled_sql) > 1, chain=True))  # fmt: skip
    union = " union all ".join(f"select * from ({piece})" for piece in pieces)
    connection.execute(f"create or replace view {table} as {union}")
    return [path for _, paths in [*plain, *ruled] for path in paths]


def _split_resumed(files: list[str]) -> tuple[list[str], list[str]]:
    """The writer's files of trials with one attempt, and of trials with several."""
    attempts: dict[tuple[str, str], set[int]] = defaultdict(set)
    for path in files:
        trial, attempt = file_owner(path) or ("", 0)
        attempts[(path.rsplit("/", 2)[-2], trial)].add(attempt)
    single, several = [], []
    for path in files:
        trial, _ = file_owner(path) or ("", 0)
        (several if len(attempts[(path.rsplit("/", 2)[-2], trial)]) > 1 else single).append(path)
    return single, several


def _scan(connection: Any, location: Location, table: str, label: str, paths: list[str],
          scratch: str, by_name: bool) -> str:  # fmt: skip
    """A table expression reading these files."""
    name = f"_{table}_{label}"
    if not location.is_local:
        connection.register(name, _dataset(location, table, paths))
        return name
    connection.execute(f"set variable {name} = ?", [[schema_file(table, scratch), *paths]])
    options = "hive_partitioning = true, hive_types = {'sweep': VARCHAR}"
    if by_name:
        options += ", union_by_name = true"
    return f"read_parquet(getvariable('{name}'), {options})"


def schema_file(table: str, scratch: str) -> str:
    """A zero-row Parquet file of the table's columns (in the query's private folder)."""
    import os

    import pyarrow.parquet as pq

    from pipeline.store._schema import SCHEMAS

    folder = f"{scratch}/{table}/{PARTITION}=_"
    path = f"{folder}/schema.parquet"
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        pq.write_table(SCHEMAS[table].empty_table(), path)
    return path


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


def _dataset(location: Location, table: str, paths: list[str]) -> Any:
    import pyarrow as pa
    import pyarrow.dataset as ds

    partitioning = ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive")
    return ds.dataset(paths, format="parquet", filesystem=arrow_filesystem(location),
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
