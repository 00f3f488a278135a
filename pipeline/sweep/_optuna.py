"""Ray's OptunaSearch over a persistent study that survives a killed driver.

The study (SQLite) records a trial's end at once; Ray's experiment snapshot may lag behind. After
a driver is killed, Ray can therefore resume a trial that the study already finished, and its
later reports would fail the whole sweep (Optuna refuses to update finished trials). Here they
are ignored: the study keeps the outcome it first recorded. Only trials of a restored searcher
can be in that state, so the study is asked once per trial, not on every report.
"""

from __future__ import annotations

from typing import Any

from ray.air.constants import TRAINING_ITERATION
from ray.tune.search.optuna import OptunaSearch


class ResumableOptunaSearch(OptunaSearch):
    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        # Steps are epochs: Tune's training_iteration restarts at 1 when a retried or resumed
        # trial continues from its saved state, and Optuna would warn about and drop the steps
        # it has already seen.
        if not self._finished_in_study(trial_id) and "epoch" in result:
            super().on_trial_result(trial_id, {**result, TRAINING_ITERATION: result["epoch"]})

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        finished = self._finished_in_study(trial_id)
        self.__dict__.get(CHECKED, {}).pop(trial_id, None)
        if finished:
            self._ot_trials.pop(trial_id, None)
            return
        super().on_trial_complete(trial_id, result, error)

    def _finished_in_study(self, trial_id: str) -> bool:
        ot_trial = self._ot_trials.get(trial_id)
        if ot_trial is None:
            return False
        checked = self.__dict__.setdefault(CHECKED, {})
        if trial_id not in checked:  # after this, only this searcher can finish the trial
            stored = self._ot_study._storage.get_trial(ot_trial._trial_id)
            checked[trial_id] = stored.state.is_finished()
        return checked[trial_id]

    def save(self, checkpoint_path: str) -> None:
        # not in the snapshot: a trial may finish in the study after it, and a searcher
        # restored from it must ask the study again
        checked = self.__dict__.pop(CHECKED, None)
        try:
            super().save(checkpoint_path)
        finally:
            if checked is not None:
                self.__dict__[CHECKED] = checked

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != CHECKED}


CHECKED = "_checked_in_study"  # trial id -> finished in the study, asked once per process
