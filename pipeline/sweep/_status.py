"""Where a sweep stands, read from its record and the store (no Ray needed)."""

from __future__ import annotations

from typing import Any

from pipeline.errors import TrialStatus
from pipeline.sweep._best import BestTrialError, choose_best
from pipeline.sweep._record import SweepError, SweepRecord, list_sweeps, load_record

STATES = tuple(status.value for status in TrialStatus)


def sweep_status(record: SweepRecord) -> dict[str, Any]:
    """Trials by state (not yet ended = budget - ended), the best trial, store and experiments."""
    from pipeline.store import open_store, read_table

    trials = read_table(open_store(record.store), "trials", record.name).to_pylist()
    counts = {state: sum(t["status"] == state for t in trials) for state in STATES}
    counts["not ended"] = max(0, record.budget - len(trials))
    return {
        "sweep": record.name,
        "budget": record.budget,
        **counts,
        "finished": all(s.finished for s in record.segments),
        "best": best_trial(trials, record),
        "store": record.store,
        "experiments": [record.experiment_path(s) for s in record.segments],
    }


def best_trial(trials: list[dict[str, Any]], record: SweepRecord) -> dict[str, Any] | None:
    """By validation metric, in the space's (else the dataset's) direction; failures excluded."""
    mode = record.space.get("mode")
    mode = mode[0] if isinstance(mode, list) else mode  # the validation metric's of a list
    try:
        best, _ = choose_best(trials, "val_metric", space_mode=mode)
    except BestTrialError:  # no trial to choose from yet
        return None
    keys = (
        "trial_id",
        "status",
        "candidate_group",
        "val_metric",
        "test_metric",
        "discovered_group",
        "discovery_correct",
    )
    return {key: best.get(key) for key in keys}


def all_statuses() -> list[dict[str, Any]]:
    """Every sweep's status; one whose store cannot be read (a damaged file, an unreachable
    store) is ``{"sweep": name, "error": line}``, so the others still show."""
    from pipeline.store import StoreError

    found = []
    for name in list_sweeps():
        try:
            found.append(sweep_status(load_record(name)))
        except (StoreError, SweepError) as error:
            found.append({"sweep": name, "error": str(error)})
    return found
