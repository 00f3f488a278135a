"""Ray's OptunaSearch over a persistent study that survives a killed driver, linked to the store.

Each study trial carries the store's ``trial_id`` as its user attribute ``trial_id``; a trial
the scheduler stopped at a rung (its last report has no ``trial_status``: only a trial's own
end says how it ended) is PRUNED, its value the last intermediate one, so TPE and
optuna-dashboard never take a rung's value for a final one.

The study (SQLite) records a trial's end at once; Ray's experiment snapshot may lag behind. After
a driver is killed, Ray can therefore resume a trial that the study already finished, and its
later reports would fail the whole sweep (Optuna refuses to update finished trials). Here they
are ignored: the study keeps the outcome it first recorded. Only trials of a restored searcher
can be in that state, so the study is asked once per trial, not on every report.
"""

from __future__ import annotations

import warnings
from typing import Any

from ray.air.constants import TRAINING_ITERATION
from ray.tune.search.optuna import OptunaSearch

TRIAL_ID_ATTR = "trial_id"  # the study trial's user attribute naming the store's trial


class ResumableOptunaSearch(OptunaSearch):
    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        point = super().suggest(trial_id)
        if point is not None and trial_id in self._ot_trials:
            self.link(trial_id, trial_id)
        return point

    def link(self, trial_id: str, store_trial_id: str) -> None:
        """Name the store's trial that the study trial ``trial_id`` stands for."""
        self._ot_trials[trial_id].set_user_attr(TRIAL_ID_ATTR, store_trial_id)

    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        # Steps are epochs: Tune's training_iteration restarts at 1 when a retried or resumed
        # trial continues from its saved state, and Optuna would warn about and drop the steps
        # it has already seen.
        if not self._finished_in_study(trial_id) and "epoch" in result:
            with warnings.catch_warnings():  # a trial continued from its last saved epoch
                warnings.filterwarnings("ignore", "The reported value is ignored", UserWarning)
                super().on_trial_result(trial_id, {**result, TRAINING_ITERATION: result["epoch"]})

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        finished = self._finished_in_study(trial_id)
        self.__dict__.get(CHECKED, {}).pop(trial_id, None)
        if finished:
            self._ot_trials.pop(trial_id, None)
            return
        if result and not error and "trial_status" not in result and trial_id in self._ot_trials:
            self._prune(trial_id, result)  # stopped by the scheduler between epochs
            return
        super().on_trial_complete(trial_id, result, error)

    def _prune(self, trial_id: str, result: dict[str, Any]) -> None:
        """PRUNED at the last reported epoch (a repeat of a stopped point, which reported
        nothing itself, gets that trial's last value at its epoch)."""
        import optuna

        if trial_id in self._completed_trials:
            return
        ot_trial = self._ot_trials[trial_id]
        # Optuna keeps intermediate values of single-objective studies only
        value = result.get(self.metric) if isinstance(self.metric, str) else None
        step = result.get("epoch")
        if isinstance(value, float) and isinstance(step, int):
            stored = self._ot_study._storage.get_trial(ot_trial._trial_id)
            if step not in stored.intermediate_values:
                ot_trial.report(value, step)
        self._ot_study.tell(ot_trial, state=optuna.trial.TrialState.PRUNED)
        self._completed_trials.add(trial_id)

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
