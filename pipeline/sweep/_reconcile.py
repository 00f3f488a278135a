"""Before a resume: the store and Ray Tune's experiment snapshot must agree on the trials.

Tune snapshots its experiment (trials and searcher) about once a second; a trial may start, write
epochs, even finish between two snapshots. A driver killed in that gap leaves the trial in the
store but not in the experiment that ``Tuner.restore`` brings back (or there is no snapshot at
all yet and the segment starts over): the restored searcher draws a replacement under a new id.
Without this step the store would keep the forgotten trial beside its replacement, a sweep of N
trials would show N + 1, and a half-trained one would never end. Its files are set aside
(``store.retire_trials``: moved, not deleted), and its saved state removed.
"""

from __future__ import annotations

import sys
from typing import Any

from pipeline.sweep._record import SweepRecord


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
            known |= {trial.trial_id for trial in analysis.trials}
    return known


def set_aside_forgotten_trials(record: SweepRecord, location: Any, filesystem: Any) -> set[str]:
    """Retire the trials in the store that no snapshot knows; returns their ids."""
    from pipeline.store import SUPERSEDED, remove_blob, retire_trials, trial_ids_in
    from pipeline.sweep._trainable import state_name

    forgotten = trial_ids_in(location, record.name) - known_trials(record, filesystem)
    if not forgotten:
        return forgotten
    moved = retire_trials(location, record.name, forgotten)
    for trial_id in forgotten:
        remove_blob(location, state_name(record.name, trial_id))
    print(f"resume: {len(forgotten)} trial(s) started after the last experiment snapshot "
          f"({', '.join(sorted(forgotten))}) are redrawn; their {moved} file(s) moved to "
          f"{location.path(SUPERSEDED)}", file=sys.stderr)  # fmt: skip
    return forgotten
