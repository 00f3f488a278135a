"""Before a resume: the store and Ray Tune's experiment snapshot must agree on the trials.

Tune snapshots its experiment (trials and searcher) about once a second; a trial may start, write
epochs, even finish between two snapshots. A driver killed in that gap leaves the trial in the
store but not in the experiment that ``Tuner.restore`` brings back (or there is no snapshot at
all yet and the segment starts over): the restored searcher draws a replacement under a new id.
Without this step the store would keep the forgotten trial beside its replacement, a sweep of N
trials would show N + 1, and a half-trained one would never end. Its files are set aside
(``store.retire_trials``: moved, not deleted), and its saved state removed.

Where an experiment is lost altogether (``outputs/`` is gone: the sweep resumes on another
machine), the store decides alone: every trial with a ``trials`` row has ended and counts toward
the budget; the ones that had not ended are set aside; every segment is closed, and one new
segment runs the remainder (``Segment.carried``), so the sweep ends with exactly its budget.
"""

from __future__ import annotations

import sys
from typing import Any

from pipeline.sweep._batching import member_ids
from pipeline.sweep._record import Segment, SweepRecord


def known_trials(record: SweepRecord, filesystem: Any) -> set[str]:
    """Trial ids in the experiment snapshots of the sweep's segments (none where a segment has
    no snapshot yet)."""
    from ray import tune
    from ray.tune import ExperimentAnalysis

    known: set[str] = set()
    for segment in record.segments:
        path = record.experiment_path(segment)
        if tune.Tuner.can_restore(path, storage_filesystem=filesystem):
            analysis = ExperimentAnalysis(path, storage_filesystem=filesystem)
            for trial in analysis.trials:  # a batched trial knows its members' ids
                known |= {trial.trial_id, *member_ids(trial.trial_id, trial.config)}
    return known


def set_aside_forgotten_trials(record: SweepRecord, location: Any, filesystem: Any) -> set[str]:
    """Retire the trials in the store that no snapshot knows; returns their ids."""
    from pipeline.store import trial_ids_in

    forgotten = trial_ids_in(location, record.name) - known_trials(record, filesystem)
    if forgotten:
        moved = _retire(record, location, forgotten)
        print(
            f"resume: {len(forgotten)} trial(s) started after the last experiment snapshot "
            f"({', '.join(sorted(forgotten))}) are redrawn; their {moved} file(s) moved to "
            f"{_superseded(location)}",
            file=sys.stderr,
        )
    return forgotten


def lost_segments(record: SweepRecord, filesystem: Any) -> list[Segment]:
    """Segments whose Ray experiment cannot be restored (deleted, on another machine, or
    killed before its first snapshot)."""
    from ray import tune

    return [
        segment
        for segment in record.segments
        if not tune.Tuner.can_restore(
            record.experiment_path(segment), storage_filesystem=filesystem
        )
    ]


def replace_lost_experiments(record: SweepRecord, location: Any) -> Segment | None:
    """Close every segment and add one that runs what the budget still lacks (None when
    nothing does); trials that had not ended are set aside. The record is saved."""
    from pipeline.store import read_table, trial_ids_in

    ended = set(read_table(location, "trials", record.name).column("trial_id").to_pylist())
    unended = trial_ids_in(location, record.name) - ended
    if unended:
        moved = _retire(record, location, unended)
        print(
            f"resume: {len(unended)} trial(s) had not ended when the experiment was lost; "
            f"they are redrawn ({moved} file(s) moved to {_superseded(location)})",
            file=sys.stderr,
        )
    budget = record.budget
    for segment in record.segments:
        segment.finished = True
    remainder = budget - len(ended)
    added = record.add_segment(remainder, carried=remainder) if remainder > 0 else None
    record.save()
    if added is not None:
        print(
            f"resume: {len(ended)} of {budget} trials ended in the store; the remaining "
            f"{remainder} run as {added.experiment}",
            file=sys.stderr,
        )
    return added


def _retire(record: SweepRecord, location: Any, trial_ids: set[str]) -> int:
    from pipeline.store import remove_blob, retire_trials
    from pipeline.sweep._trainable import state_name

    moved = retire_trials(location, record.name, trial_ids)
    for trial_id in trial_ids:
        remove_blob(location, state_name(record.name, trial_id))
    return moved


def _superseded(location: Any) -> str:
    from pipeline.store import SUPERSEDED

    return location.path(SUPERSEDED)
