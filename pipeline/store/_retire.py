"""Setting aside the files of trials a sweep no longer has, without deleting anything.

A sweep driver killed between a trial's first store write and Ray Tune's next experiment
snapshot leaves that trial in the store but not in the experiment that ``resume`` restores: the
searcher then draws its replacement anew. Its files move to
``_superseded/<table>/sweep=<sweep>/`` (readers skip folders that start with "_"), so the tables
show each trial of the sweep once and nothing stored is lost.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.store._location import Location, StoreError
from pipeline.store._schema import PARTITION
from pipeline.store._writer import table_files

SUPERSEDED = "_superseded"


def retire_trials(location: Location, sweep: str, trial_ids: Iterable[str]) -> int:
    """Move every table file of these trials under _superseded/; returns how many moved."""
    retiring = set(trial_ids)
    moved = 0
    for table, path, trial, _ in table_files(location, sweep):
        if trial not in retiring:
            continue
        folder = location.path(SUPERSEDED, table, f"{PARTITION}={sweep}")
        try:
            location.fs.makedirs(folder, exist_ok=True)
            location.fs.mv(path, f"{folder}/{path.rsplit('/', 1)[-1]}")
        except OSError as error:
            raise StoreError(f"cannot set aside {path} in store {location.url}: {error}") from None
        moved += 1
    return moved


def trial_ids_in(location: Location, sweep: str) -> set[str]:
    """Every trial with any table file in the sweep."""
    return {trial for _, _, trial, _ in table_files(location, sweep)}
