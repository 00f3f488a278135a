"""Buffered, crash-safe writes of one trial attempt's rows.

Files are immutable and uniquely named
``<store>/<table>/sweep=<sweep>/<trial>-a<attempt>-<seq>-<writer>.parquet`` (a random token per
writer, so two processes that picked the same attempt still never overwrite each other).
No reader ever sees a partial file: on local disk a file is written under a hidden temporary name
and renamed into place (atomic); on object stores it is one PUT of the whole file.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow.parquet as pq

from pipeline.store._location import Location, StoreError
from pipeline.store._schema import PARTITION, TABLES, to_table


class StoreWriter:
    """Rows of one (sweep, trial_id, attempt); ``flush`` after each epoch and at the end."""

    def __init__(self, location: Location, sweep: str, trial_id: str, attempt: int) -> None:
        if not sweep or "/" in sweep or "=" in sweep:
            raise StoreError(f"sweep name {sweep!r} must be non-empty, without '/' or '='")
        self.location, self.sweep, self.trial_id, self.attempt = location, sweep, trial_id, attempt
        self.buffers: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}
        self.sequence = 0
        self.token = uuid.uuid4().hex[:8]

    def add(self, table: str, row: Mapping[str, Any]) -> None:
        self.buffers[table].append({**row, "trial_id": self.trial_id, "attempt": self.attempt})

    def add_rows(self, table: str, rows: list[Mapping[str, Any]]) -> None:
        for row in rows:
            self.add(table, row)

    def add_result(self, result: Any) -> list[str]:
        """A finished trial's rows (``run_trial``'s result: trial, discovery, robustness), flushed
        at once; its epochs were written as they came."""
        self.add("trials", result.trial)
        self.add_rows("discovery", result.discovery)
        self.add_rows("robustness", result.robustness)
        return self.flush()

    def flush(self) -> list[str]:
        """Write every non-empty buffer as one new file; returns the paths written."""
        written = []
        for table, rows in self.buffers.items():
            if rows:
                written.append(self._write(table, rows))
                self.buffers[table] = []
        return written

    def _write(self, table: str, rows: list[dict[str, Any]]) -> str:
        data = to_table(table, rows)
        sink = io.BytesIO()
        pq.write_table(data, sink)
        self.sequence += 1
        name = f"{self.trial_id}-a{self.attempt}-{self.sequence:05d}-{self.token}.parquet"
        folder = self.location.path(table, f"{PARTITION}={self.sweep}")
        path = f"{folder}/{name}"
        try:
            _publish(self.location, folder, path, sink.getvalue())
        except OSError as error:
            raise StoreError(f"cannot write to store {self.location.url}: {error}") from None
        return path


FILE_NAME = re.compile(r"^(?P<trial>.+)-a(?P<attempt>\d+)-\d+-[0-9a-f]+\.parquet$")


def file_owner(path: str) -> tuple[str, int] | None:
    """(trial_id, attempt) of a table file written by StoreWriter; None for other names."""
    match = FILE_NAME.match(path.rsplit("/", 1)[-1])
    return (match["trial"], int(match["attempt"])) if match else None


def table_files(location: Location, sweep: str,
                tables: Iterable[str] = TABLES) -> list[tuple[str, str, str, int]]:  # fmt: skip
    """(table, path, trial_id, attempt) of every file of the sweep in these tables, from names."""
    found = []
    location.fs.invalidate_cache()
    for table in tables:
        folder = location.path(table, f"{PARTITION}={sweep}")
        if not location.fs.exists(folder):
            continue
        for path in location.fs.ls(folder, detail=False):
            owner = file_owner(path)
            if owner is not None:
                found.append((table, path, *owner))
    return found


def next_attempt(location: Location, sweep: str, trial_id: str) -> int:
    """1 + the highest attempt of this trial with any file in the store (1 for a new trial).

    Read from file names, in every table: an attempt that was killed after writing some epochs
    but before its ``trials`` row still counts, so its successor never reuses its number.
    """
    attempts = [a for _, _, trial, a in table_files(location, sweep) if trial == trial_id]
    return max(attempts, default=0) + 1


def check_writable(location: Location) -> None:
    """Fail before any work when the store cannot be written: write and remove a probe file
    (local disk or object store: a missing bucket or a read-only path fails here)."""
    probe = location.path(f".symsearch-probe-{uuid.uuid4().hex}")
    try:
        if location.is_local:
            os.makedirs(location.root, exist_ok=True)
        location.fs.pipe_file(probe, b"")
        location.fs.rm(probe)
    except OSError as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise StoreError(f"store {location.url} cannot be written: {reason}") from None


def _publish(location: Location, folder: str, path: str, payload: bytes) -> None:
    fs = location.fs
    if location.is_local:
        os.makedirs(folder, exist_ok=True)
        temporary = f"{folder}/.{uuid.uuid4().hex}.tmp"  # hidden: readers skip it
        with open(temporary, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    else:
        fs.pipe_file(path, payload)  # a single PUT: the object appears whole or not at all


def write_blob(location: Location, name: str, payload: bytes) -> str:
    """A whole file outside the tables (e.g. a trial's state), replaced atomically: a reader sees
    the old bytes or the new, never a mix. Returns its path."""
    path = location.path(name)
    folder = path.rpartition("/")[0]
    try:
        _publish(location, folder, path, payload)
    except OSError as error:
        raise StoreError(f"cannot write to store {location.url}: {error}") from None
    return path


def read_blob(location: Location, name: str) -> bytes | None:
    """The bytes of a file written by ``write_blob``, or None when there is none."""
    path = location.path(name)
    location.fs.invalidate_cache()
    try:
        return location.fs.cat_file(path)
    except FileNotFoundError:
        return None


def remove_blob(location: Location, name: str) -> None:
    """Remove a file written by ``write_blob``; nothing when there is none."""
    with contextlib.suppress(FileNotFoundError):
        location.fs.rm_file(location.path(name))
