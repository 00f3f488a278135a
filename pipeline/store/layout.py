"""Where a store's files lie and how they are named: the rules every reader and writer shares.

Tables are hive-partitioned folders ``<store>/<table>/sweep=<sweep>/``. A writer's file is
``<trial>-a<attempt>-<seq>-<writer token>.parquet`` (generation 0); ``symsearch compact``'s
files are ``compacted-g<generation>-p<part>-<token>.parquet`` (many trials' latest rows each; a
later generation's rows win over an earlier one's and over the writer's files, record by record),
and their trials and attempts are read from the files' keys. Files replaced or set aside move
under ``_superseded/`` (readers skip folders that start with "_"), never deleted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.store._location import Location, StoreError, is_remote_error, one_line, store_errors
from pipeline.store._schema import PARTITION, TABLES

FILE_NAME = re.compile(r"^(?P<trial>.+)-a(?P<attempt>\d+)-\d+-[0-9a-f]+\.parquet$")
COMPACTED_NAME = re.compile(r"^compacted-g(?P<generation>\d+)-p\d+-[0-9a-f]+\.parquet$")


def file_owner(path: str) -> tuple[str, int] | None:
    """(trial_id, attempt) of a table file written by StoreWriter; None for other names."""
    match = FILE_NAME.match(path.rsplit("/", 1)[-1])
    return (match["trial"], int(match["attempt"])) if match else None


def file_generation(path: str) -> int | None:
    """0 for a StoreWriter file, g for a compacted file of generation g, None for other names."""
    match = COMPACTED_NAME.match(path.rsplit("/", 1)[-1])
    if match:
        return int(match["generation"])
    return 0 if file_owner(path) is not None else None


def table_files(
    location: Location, sweep: str, tables: Iterable[str] = TABLES
) -> list[tuple[str, str, str, int]]:
    """(table, path, trial_id, attempt) of every file of the sweep in these tables, from names."""
    found = []
    for table, path in sweep_listing(location, sweep, tables):
        owner = file_owner(path)
        if owner is not None:
            found.append((table, path, *owner))
    return found


def sweep_listing(
    location: Location, sweep: str, tables: Iterable[str] = TABLES
) -> list[tuple[str, str]]:
    """(table, path) of every entry in the sweep's folders of these tables."""
    with store_errors(location):
        location.fs.invalidate_cache()
        return [
            (table, path)
            for table in tables
            for path in folder_listing(location, location.path(table, f"{PARTITION}={sweep}"))
        ]


def folder_listing(location: Location, folder: str) -> list[str]:
    if not location.fs.isdir(folder):
        return []
    return location.fs.ls(folder, detail=False)


SUPERSEDED = "_superseded"


def supersede(location: Location, table: str, sweep: str, path: str) -> None:
    """Move one table file under _superseded/<table>/sweep=<sweep>/."""
    folder = location.path(SUPERSEDED, table, f"{PARTITION}={sweep}")
    target = f"{folder}/{path.rsplit('/', 1)[-1]}"
    try:
        if location.is_local:  # a rename: fsspec's move copies metadata file by file
            os.makedirs(folder, exist_ok=True)
            os.replace(path, target)
        else:
            location.fs.mv(path, target)
    except Exception as error:
        if not isinstance(error, OSError) and not is_remote_error(error):
            raise
        raise StoreError(
            f"cannot set aside {path} in store {location.url}: {one_line(error)}"
        ) from None


def compacted_files(
    location: Location, sweep: str, tables: tuple[str, ...] = TABLES
) -> list[tuple[str, str, int]]:
    """(table, path, generation) of the sweep's compacted files."""
    listed = sweep_listing(location, sweep, tables)
    return [
        (table, path, file_generation(path) or 0) for table, path in listed if file_generation(path)
    ]


def read_keys(
    location: Location, path: str, columns: list[str], trial_id: str | None = None
) -> pa.Table:
    filters = [("trial_id", "=", trial_id)] if trial_id is not None else None
    with store_errors(location):
        return pq.read_table(path, columns=columns, filters=filters, filesystem=location.fs)


def trial_range(location: Location, path: str) -> tuple[str, str]:
    """(lowest, highest) trial_id of a compacted file, from its footer's statistics (the whole
    range of names where a file has none)."""
    with store_errors(location), location.fs.open(path, "rb") as handle:
        metadata = pq.read_metadata(handle)
    column = metadata.schema.names.index("trial_id")
    lows, highs = [], []
    for number in range(metadata.num_row_groups):
        statistics = metadata.row_group(number).column(column).statistics
        if statistics is None or not statistics.has_min_max:
            return "", "\U0010ffff"
        lows.append(statistics.min)
        highs.append(statistics.max)
    return (min(lows), max(highs)) if lows else ("", "")


def compacted_trial_ids(location: Location, paths: list[str]) -> set[str]:
    """Every trial with rows in these compacted files."""
    found: set[str] = set()
    for path in paths:
        found |= set(pc.unique(read_keys(location, path, ["trial_id"])["trial_id"]).to_pylist())
    return found


def compacted_attempts(location: Location, paths: list[str], trial_id: str) -> list[int]:
    """The attempts of one trial that these compacted files hold."""
    found: list[int] = []
    for path in paths:
        found += read_keys(location, path, ["attempt"], trial_id)["attempt"].to_pylist()
    return found
