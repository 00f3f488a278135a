"""Ray's OptunaSearch over a persistent study that survives a killed driver.

The study (SQLite) records a trial's end at once; Ray's experiment snapshot may lag behind. After
a driver is killed, Ray can therefore resume a trial that the study already finished, and its
later reports would fail the whole sweep (Optuna refuses to update finished trials). Here they
are ignored: the study keeps the outcome it first recorded.
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

    def on_trial_complete(self, trial_id: str, result: dict[str, Any] | None = None,
                          error: bool = False) -> None:  # fmt: skip
        if self._finished_in_study(trial_id):
            self._ot_trials.pop(trial_id, None)
            return
        super().on_trial_complete(trial_id, result, error)

    def _finished_in_study(self, trial_id: str) -> bool:
        ot_trial = self._ot_trials.get(trial_id)
        if ot_trial is None:
            return False
        stored = self._ot_study._storage.get_trial(ot_trial._trial_id)
        return stored.state.is_finished()
