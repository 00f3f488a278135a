"""Setting aside the files of trials a sweep no longer has, without deleting anything.

A sweep driver killed between a trial's first store write and Ray Tune's next experiment
snapshot leaves that trial in the store but not in the experiment that ``resume`` restores: the
searcher then draws its replacement anew. Its files move to
``_superseded/<table>/sweep=<sweep>/`` (readers skip folders that start with "_"), so the tables
show each trial of the sweep once and nothing stored is lost.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.store._location import Location, StoreError, store_errors
from pipeline.store._schema import DATA_TEST_PREFIX, TABLES
from pipeline.store.layout import (
    SUPERSEDED,
    compacted_trial_ids,
    file_generation,
    file_owner,
    supersede,
    sweep_listing,
    table_files,
)


def retire_trials(location: Location, sweep: str, trial_ids: Iterable[str]) -> int:
    """Move every table file of these trials under _superseded/; returns how many moved. A
    compacted file that holds any of them is written again without them, then moved."""
    from pipeline.store._compact import drop_trials

    retiring = set(trial_ids)
    moved = 0
    for table, path, trial, _ in table_files(location, sweep):
        if trial in retiring:
            supersede(location, table, sweep, path)
            moved += 1
    return moved + (drop_trials(location, sweep, retiring) if retiring else 0)


def set_aside(location: Location, relative: str) -> str:
    """Move one file of a table folder (a damaged or stray file a reader named) to
    ``_superseded/<same path>``, where readers no longer look; returns its new path."""
    parts = relative.strip("/").split("/")
    if len(parts) < 2 or parts[0] not in TABLES or any(p in ("", ".", "..") for p in parts):
        raise StoreError(
            f"{relative}: name a file inside a table folder of the store, as "
            f"<table>/sweep=<name>/<file> (tables: {', '.join(TABLES)})"
        )
    source, target = location.path(*parts), location.path(SUPERSEDED, *parts)
    with store_errors(location, "cannot be changed"):
        location.fs.invalidate_cache()
        if not location.fs.isfile(source):
            raise StoreError(f"{relative}: no such file in store {location.url}")
        if location.fs.exists(target):
            raise StoreError(f"{relative}: {location.url}/{SUPERSEDED}/{relative} exists already")
        location.fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        location.fs.mv(source, target)
    return target


def trial_ids_in(location: Location, sweep: str) -> set[str]:
    """Every trial with rows in the sweep (its own files, or in a compacted file); the sweep's
    data tests own rows too, but are not trials."""
    paths = [path for _, path in sweep_listing(location, sweep)]
    owners = {owner[0] for owner in map(file_owner, paths) if owner is not None}
    found = owners | compacted_trial_ids(location, [p for p in paths if file_generation(p)])
    return {trial for trial in found if not trial.startswith(DATA_TEST_PREFIX)}
