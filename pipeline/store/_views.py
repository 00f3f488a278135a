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
from typing import Any, NamedTuple

from pipeline.store._location import Location
from pipeline.store._reader import GENERATION, arrow_filesystem, table_paths
from pipeline.store._schema import PARTITION, RECORD_KEYS, with_partition
from pipeline.store.layout import COMPACTED_NAME, FILE_NAME


def register_table(
    connection: Any,
    location: Location,
    table: str,
    scratch: str,
    by_name: bool = False,
    files: list[str] | None = None,
) -> list[str]:
    """Create (or replace) the view ``table`` over the store's files (or these ``files`` of
    it); returns the files it scans (on local disk the sandbox must allow exactly these, and
    the schema file)."""
    files = table_paths(location, table) if files is None else files
    groups = _generations(_names(files), latest_only=not RECORD_KEYS[table])
    originals = groups.pop(0, [])
    if not groups:  # the writer's files only: the rule where a trial has several attempts
        single, resumed = _split_resumed(originals)
        plain, ruled = [(0, single)], [(0, resumed)]
    elif not originals and len(groups) == 1:  # one compaction's files: already the latest
        plain, ruled = list(groups.items()), []
    else:  # several generations: every record from its highest, then the latest attempt
        plain, ruled = [], [(0, originals), *sorted(groups.items())]
    columns = with_partition(table).names
    parts, lists = [], {}
    for kind, sources in (("plain", plain), ("ruled", ruled)):
        for number, (generation, named) in enumerate(sources):
            if not named:
                continue
            paths = [name.path for name in named]
            scan = _scan(connection, location, table, f"{kind}{number}", paths, scratch, by_name)
            parts.append((kind, f"select *, {generation} as {GENERATION} from {scan}"))
            lists[f"_{table}_{kind}{number}"] = paths
    if not parts:  # an empty table still has its columns
        connection.register(f"_{table}_none", with_partition(table).empty_table())
        parts.append(("plain", f"select *, 0 as {GENERATION} from _{table}_none"))
    pieces = [f"select {', '.join(columns)} from ({sql})" for kind, sql in parts if kind == "plain"]
    ruled_sql = [sql for kind, sql in parts if kind == "ruled"]
    if ruled_sql:  # the latest-attempt rule, only over the files where it can change anything
        pieces.append(
            view_sql(
                table,
                " union all ".join(ruled_sql),
                columns,
                several=len(ruled_sql) > 1,
                chain=True,
            )
        )
    union = " union all ".join(f"select * from ({piece})" for piece in pieces)
    connection.execute(f"create or replace view {table} as {union}")
    if location.is_local:  # the files themselves only now (see _scan)
        first = schema_file(table, scratch)
        for variable, paths in lists.items():
            connection.execute(f"set variable {variable} = ?", [[first, *paths]])
    return [path for paths in lists.values() for path in paths]


class _Name(NamedTuple):
    """A table file and what its name says: the writer's (sweep folder, trial) and attempt, or
    a compaction's generation."""

    path: str
    owner: tuple[str, str] | None
    attempt: int
    generation: int


def _names(files: list[str]) -> list[_Name]:
    """Each file's name parsed once (a sweep's folder may hold hundreds of thousands)."""
    names = []
    for path in files:
        folder, name = path.rsplit("/", 2)[-2:]
        compacted, written = COMPACTED_NAME.match(name), FILE_NAME.match(name)
        owner = (folder, written["trial"]) if written else None
        names.append(
            _Name(
                path,
                owner,
                int(written["attempt"]) if written else 0,
                int(compacted["generation"]) if compacted else 0,
            )
        )
    return names


def _split_resumed(files: list[_Name]) -> tuple[list[_Name], list[_Name]]:
    """The writer's files of trials with one attempt, and of trials with several."""
    attempts: dict[tuple[str, str] | None, set[int]] = defaultdict(set)
    for name in files:
        attempts[name.owner].add(name.attempt)
    single, several = [], []
    for name in files:
        (several if len(attempts[name.owner]) > 1 else single).append(name)
    return single, several


def _scan(
    connection: Any,
    location: Location,
    table: str,
    label: str,
    paths: list[str],
    scratch: str,
    by_name: bool,
) -> str:
    """A table expression reading these files.

    On local disk the files are a variable that holds only the schema file while the view is
    created: DuckDB binds a view when it is created and again at each query, and each bind
    parses every path (seconds and hundreds of MB for half a million files), so the list is set
    once the views exist and only the query's bind reads it."""
    name = f"_{table}_{label}"
    if not location.is_local:
        connection.register(name, _dataset(location, table, paths))
        return name
    connection.execute(f"set variable {name} = ?", [[schema_file(table, scratch)]])
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


def _generations(files: list[_Name], latest_only: bool) -> dict[int, list[_Name]]:
    """Files by generation; of the writer's files only each trial's latest attempt's, where a
    trial has one record per attempt."""
    groups: dict[int, list[_Name]] = defaultdict(list)
    latest: dict[tuple[str, str], int] = {}
    for name in files:
        if name.generation == 0 and name.owner is not None:
            latest[name.owner] = max(latest.get(name.owner, 0), name.attempt)
    for name in files:
        if (
            latest_only
            and name.generation == 0
            and name.owner is not None
            and name.attempt < latest[name.owner]
        ):
            continue
        groups[name.generation].append(name)
    return dict(groups)


def _dataset(location: Location, table: str, paths: list[str]) -> Any:
    import pyarrow as pa
    import pyarrow.dataset as ds

    partitioning = ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive")
    return ds.dataset(
        paths,
        format="parquet",
        filesystem=arrow_filesystem(location),
        schema=with_partition(table),
        partitioning=partitioning,
        partition_base_dir=location.path(table),
    )


def view_sql(table: str, source: str, columns: list[str], several: bool, chain: bool) -> str:
    """The latest rows of a table, from ``source`` (its rows with a generation column)."""
    trial = f"{PARTITION}, trial_id"
    record = ", ".join([PARTITION, "trial_id", "attempt", *RECORD_KEYS[table]])
    rows = f"({source})"
    if several:  # a record from its highest generation only
        rows = (
            f"(select * from {rows} qualify {GENERATION} = "
            f"max({GENERATION}) over (partition by {record}))"
        )
    listed = ", ".join(f"r.{c}" for c in columns)
    if not RECORD_KEYS[table]:
        if not several:
            return f"select {listed} from {rows} r"
        return (
            f"select {listed} from {rows} r "
            f"qualify r.attempt = max(r.attempt) over (partition by r.{PARTITION}, r.trial_id)"
        )
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
