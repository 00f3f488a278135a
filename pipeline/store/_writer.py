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
from collections.abc import Mapping
from typing import Any

import pyarrow.parquet as pq

from pipeline.store._location import (
    Location,
    StoreError,
    check_sweep_name,
    is_remote_error,
    one_line,
    store_errors,
)
from pipeline.store._schema import PARTITION, TABLES, to_table
from pipeline.store.layout import (
    compacted_attempts,
    file_generation,
    file_owner,
    folder_listing,
    sweep_listing,
)


class StoreWriter:
    """Rows of one (sweep, trial_id, attempt); ``flush`` after each epoch and at the end."""

    def __init__(self, location: Location, sweep: str, trial_id: str, attempt: int) -> None:
        check_sweep_name(sweep)
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
        with store_errors(self.location, "cannot be written"):
            _publish(self.location, folder, path, sink.getvalue())
        return path


ATTEMPTS = "_attempts"  # <store>/_attempts/sweep=<sweep>/<trial>-a<n>: one marker per claim
MARKER_NAME = re.compile(r"^(?P<trial>.+)-a(?P<attempt>\d+)$")


def next_attempt(location: Location, sweep: str, trial_id: str) -> int:
    """1 + the highest attempt of this trial in the store (1 for a new trial): claimed (its
    marker) or with any file, in every table. An attempt killed after writing some epochs but
    before its ``trials`` row still counts, so its successor never reuses its number."""
    paths = [path for _, path in sweep_listing(location, sweep)]
    owners = [file_owner(path) for path in paths]
    attempts = [owner[1] for owner in owners if owner is not None and owner[0] == trial_id]
    compacted = [path for path in paths if file_generation(path)]
    attempts += compacted_attempts(location, compacted, trial_id)  # a compacted sweep's trials
    return max([*attempts, *_claimed(location, sweep, trial_id)], default=0) + 1


def claim_attempt(location: Location, sweep: str, trial_id: str) -> int:
    """The next attempt of a trial, claimed by an exclusive create of its marker, so two
    processes that start the same trial at once never share an attempt (local disk: O_EXCL; object
    stores: a conditional PUT, ``If-None-Match: *``)."""
    attempt = next_attempt(location, sweep, trial_id)
    folder = location.path(ATTEMPTS, f"{PARTITION}={sweep}")
    while True:
        try:
            _create_exclusive(location, folder, f"{folder}/{trial_id}-a{attempt}")
            return attempt
        except FileExistsError:
            attempt += 1  # another process took this one first
        except Exception as error:
            if not isinstance(error, OSError) and not is_remote_error(error):
                raise
            raise StoreError(f"store {location.url} cannot be written: {one_line(error)}") from None


def _claimed(location: Location, sweep: str, trial_id: str) -> list[int]:
    with store_errors(location):
        names = folder_listing(location, location.path(ATTEMPTS, f"{PARTITION}={sweep}"))
    matches = [MARKER_NAME.match(path.rsplit("/", 1)[-1]) for path in names]
    return [int(m["attempt"]) for m in matches if m and m["trial"] == trial_id]


def _create_exclusive(
    location: Location, folder: str, path: str, payload: bytes | None = None
) -> None:
    """Create a file that must not exist yet; FileExistsError when it does. With ``payload``,
    a reader sees the whole file or none (local disk: a hard link of a finished temporary)."""
    if location.is_local and payload is not None:
        os.makedirs(folder, exist_ok=True)
        temporary = f"{folder}/.{uuid.uuid4().hex}.tmp"
        try:
            with open(temporary, "wb") as handle:
                handle.write(payload)
            os.link(temporary, path)  # atomic, and fails where the path exists
        finally:
            with contextlib.suppress(OSError):
                os.remove(temporary)
        return
    payload = payload or f"{os.getpid()}\n".encode()  # not empty: s3fs sends an empty file
    # unconditionally
    if location.is_local:
        os.makedirs(folder, exist_ok=True)
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(handle, "wb") as file:
            file.write(payload)
        return
    try:
        location.fs.pipe_file(path, payload, mode="create")
    except TypeError:  # a filesystem without a conditional pipe_file: its exclusive open
        with location.fs.open(path, "xb") as file:
            file.write(payload)


def check_writable(location: Location) -> None:
    """Fail before any work when the store cannot be written: write and remove a probe file
    (local disk or object store: a missing bucket or a read-only path fails here)."""
    probe = location.path(f".symsearch-probe-{uuid.uuid4().hex}")
    try:
        if location.is_local:
            os.makedirs(location.root, exist_ok=True)
        location.fs.pipe_file(probe, b"")
        location.fs.rm(probe)
    except Exception as error:
        if not isinstance(error, OSError) and not is_remote_error(error):
            raise
        reason = getattr(error, "strerror", None) or one_line(error)
        raise StoreError(f"store {location.url} cannot be written: {reason}") from None


def create_blob(location: Location, name: str, payload: bytes) -> str:
    """A whole file that must not exist yet (a lock, a new sweep's record): FileExistsError
    when another writer created it first (local disk: a hard link; object stores: a
    conditional PUT, ``If-None-Match: *``). Returns its path."""
    path = location.path(name)
    try:
        _create_exclusive(location, path.rpartition("/")[0], path, payload)
    except FileExistsError:
        raise
    except Exception as error:
        if not isinstance(error, OSError) and not is_remote_error(error):
            raise
        raise StoreError(f"store {location.url} cannot be written: {one_line(error)}") from None
    return path


def _publish(location: Location, folder: str, path: str, payload: bytes) -> None:
    fs = location.fs
    if location.is_local:
        os.makedirs(folder, exist_ok=True)
        temporary = f"{folder}/.{uuid.uuid4().hex}.tmp"  # hidden: readers skip it
        try:
            with open(temporary, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:  # a full disk, a kill: no temporary left behind
            with contextlib.suppress(OSError):
                os.remove(temporary)
            raise
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
    except Exception as error:
        if not isinstance(error, OSError) and not is_remote_error(error):
            raise
        raise StoreError(f"store {location.url} cannot be read: {one_line(error)}") from None


def remove_blob(location: Location, name: str) -> None:
    """Remove a file written by ``write_blob``; nothing when there is none."""
    with contextlib.suppress(FileNotFoundError):
        location.fs.rm_file(location.path(name))
