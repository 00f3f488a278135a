"""``searcher: discover``: read which generators the data has, then search only where they lead.

The sweep's data test of its most general candidate group (the one with the most generators:
affine2, a product; ``pipeline.sweep._datatests``, run once before any trial) names the group the
present generators span (``found``). Where no such test could run (a ``learned<k>`` most general
candidate, whose generators exist only after training), the first trial is a probe: that
candidate trained for ``probe_epochs`` epochs with ``discovery: test``, read the same way. Every
trial is drawn by
Optuna (TPE) over the space with ``candidate_group`` narrowed to the candidates equal to that
group (compared by their generators, not names); where none is equal, to the smallest
candidates that contain it; where none contains it, to all candidates. A space without a
``candidate_group`` choice is searched by TPE alone. The first trial after the probe runs the
space's defaults on the discovered group, and TPE models from the first result on
(``startup_trials`` 0 unless the space sets it: the narrowed space is small and the defaults
are an informed start). A point that another trial has run (to its end, or to the rung that
stopped it) or is running is not run again: a trial is a function of its configuration and
seed. A probe trial is a real trial: it is stored, counted in the budget and its epochs are
spent, but Optuna never sees it (its epochs and test setting are not a point of the space).

The baseline: where the space offers ``trivial`` and the narrowing left it out, the last trial of
the space's budget runs the defaults on ``trivial`` (budgets of at least 3 trials), so the report
can say whether encoding the discovered symmetry helped the task; last, so that it never delays
the search for the best trial; Optuna never sees it either.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

from ray.tune.search import Searcher

from pipeline.space import SearchSpace
from pipeline.sweep._probe import (
    PROBE_EPOCHS,
    baseline_point,
    candidate_choices,
    default_point,
    narrowed,
    narrowed_space,
    probe_point,
)

REDRAWS = 8  # draws before a repeated point is run anyway (a small space may be exhausted)


def _key(point: dict[str, Any]) -> str:
    import json

    return json.dumps(point, sort_keys=True, default=str)


class DiscoverSearch(Searcher):
    """Probe first, then ``inner(space narrowed to the discovery)`` draws every other trial."""

    def __init__(
        self,
        space: SearchSpace,
        inner: Callable[[SearchSpace], Searcher],
        metric: Any,
        mode: Any,
        probe_epochs: int = PROBE_EPOCHS,
        found: str | None = None,
    ) -> None:
        super().__init__(metric=metric, mode=mode)
        self.space, self.make_inner, self.probe_epochs = space, inner, probe_epochs
        self.candidates = candidate_choices(space)
        self.probe_id: str | None = None
        self.ended: dict[str, dict[str, Any]] = {}  # point -> its last result (ended, stopped)
        self.points: dict[str, dict[str, Any] | None] = {}  # running trial -> its point
        self.inner_ids: dict[str, str] = {}  # running trial -> its id in the inner searcher
        self.twins: dict[str, list[str]] = {}  # running trial -> inner ids that drew its point
        self.found: str | None = found
        self.inner: Searcher | None = None if self.candidates else inner(space)
        if self.candidates and found is not None:  # the sweep's data test read the data: no probe
            self._narrow(found)

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        if self.inner is not None:
            baseline = getattr(self, "baseline", None)
            if baseline is not None and self._last_of_budget():
                self.baseline, self.baseline_id = None, trial_id
                return baseline
            return self._new_point(trial_id)
        if self.probe_id is None:
            self.probe_id = trial_id
            return probe_point(self.space, self.probe_epochs)
        return None  # the probe has not ended: wait for its test

    def _new_point(self, trial_id: str) -> dict[str, Any] | None:
        """The inner searcher's next point that no other trial has run or is running: a trial is
        a function of its configuration and seed, so a repeat would only spend epochs on a known
        result. A repeat is answered with the earlier trial's result (the searcher learns it
        again; a running trial's when it ends) and redrawn, at most REDRAWS times; then it runs."""
        for attempt in range(REDRAWS):
            inner_id = f"{trial_id}~{attempt}" if attempt else trial_id
            point = self.inner.suggest(inner_id)
            if point is None or attempt == REDRAWS - 1:
                break
            known, twin = self.ended.get(_key(point)), self._running(point)
            if known is not None:  # the study trial stands for the trial that ran its point
                self._link(inner_id, known.get("trial_id"))
                self.inner.on_trial_complete(inner_id, known)
            elif twin is not None:
                self._link(inner_id, twin)
                self.twins.setdefault(twin, []).append(inner_id)
            else:
                break
        if point is not None:
            self._link(inner_id, trial_id)
        self.inner_ids[trial_id], self.points[trial_id] = inner_id, point
        self.drawn = getattr(self, "drawn", 0) + 1
        return point

    def _link(self, inner_id: str, trial_id: str | None) -> None:
        """The store's trial id as the study trial's user attribute (``_optuna.py``)."""
        link = getattr(self.inner, "link", None)
        if link is not None and trial_id is not None:
            link(inner_id, trial_id)

    def _running(self, point: dict[str, Any]) -> str | None:
        """The running trial of ``point``, if any."""
        key = _key(point)
        return next((t for t, p in self.points.items() if p is not None and _key(p) == key), None)

    def _defaults_first(self, candidates: list[str]) -> None:
        """The first trial after the probe runs the space's defaults (its author's best guess)
        on the discovered group; Optuna then learns from it like from any other."""
        study = getattr(self.inner, "_ot_study", None)
        if study is None:
            return
        point = default_point(self.space, candidates[0])
        if len(candidates) > 1:
            point["candidate_group"] = candidates[0]
        study.enqueue_trial(point, skip_if_exists=True)

    def _narrow(self, found: str | None) -> None:
        """Search the candidates ``found`` points to, the defaults first, the baseline last."""
        self.found = found
        candidates = narrowed(self.candidates, found)
        self.inner = self.make_inner(narrowed_space(self.space, candidates))
        self._defaults_first(candidates)
        self.baseline = baseline_point(self.space, candidates)
        self.baseline_id: str | None = None

    def _last_of_budget(self) -> bool:
        """The next trial is the last of the space's budget (the probe counts as one)."""
        started = getattr(self, "drawn", 0) + (self.probe_id is not None)
        return started >= self.space.num_samples - 1

    def _outside(self, trial_id: str) -> bool:
        """The probe and the baseline are no points of the narrowed space: Optuna never sees
        them."""
        return trial_id in (self.probe_id, getattr(self, "baseline_id", None))

    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        if not self._outside(trial_id) and self.inner is not None:
            self.inner.on_trial_result(self.inner_ids.get(trial_id, trial_id), result)

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        if trial_id == self.probe_id and self.inner is None:
            self._narrow(None if error or not result else result.get("discovered_group"))
            return
        if self.inner is not None and not self._outside(trial_id):
            point = self.points.pop(trial_id, None)
            if point is not None and result and not error:  # ended, or stopped by a rung
                self.ended[_key(point)] = {**result, "trial_id": trial_id}
            for inner_id in [self.inner_ids.pop(trial_id, trial_id), *self.twins.pop(trial_id, [])]:
                self.inner.on_trial_complete(inner_id, result, error)

    def set_search_properties(self, metric: Any, mode: Any, config: dict, **spec: Any) -> bool:
        return True  # metric and mode are set at construction, the space is the define-by-run

    def save(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "wb") as handle:
            pickle.dump(self.__dict__, handle)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as handle:
            self.__dict__.update(pickle.load(handle))
