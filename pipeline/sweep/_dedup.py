"""A searcher that never runs a point twice: every Optuna-based sweep searches through it.

A trial is a function of its configuration and seed, so a point that another trial has run (to
its end, or to the rung that stopped it) or is running would only spend epochs on a known
result. A continuous value within TOLERANCE of its range (on its sampling scale: log for
``loguniform``) of another trial's value is that value: TPE's draws cluster around its best
point, and two draws 1% of a range apart train the same model in effect. A repeat is answered
with the earlier trial's result (the study learns it, linked to that trial; a running trial's
when it ends) and redrawn, at most REDRAWS times; then it runs (a small space may be
exhausted)."""

from __future__ import annotations

import json
import math
from typing import Any

from ray.tune.search import Searcher

from pipeline.space import Distribution, SearchSpace
from pipeline.sweep._pickled import PickledSearcher

REDRAWS = 8  # draws before a repeated point is run anyway
TOLERANCE = 0.02  # share of a continuous range within which two values are one point


def point_key(point: dict[str, Any]) -> str:
    return json.dumps(point, sort_keys=True, default=str)


def same_point(a: dict[str, Any], b: dict[str, Any], dimensions: dict[str, Any]) -> bool:
    """Are ``a`` and ``b`` one point: equal but for continuous values within TOLERANCE?"""
    if a.keys() != b.keys():
        return False
    for key, value in a.items():
        other, dimension = b[key], dimensions.get(key)
        if value == other:
            continue
        if not isinstance(dimension, Distribution) or dimension.distribution == "randint":
            return False
        if not all(isinstance(v, int | float) for v in (value, other)):
            return False
        if not _close(float(value), float(other), dimension):
            return False
    return True


def _close(a: float, b: float, dimension: Distribution) -> bool:
    log = dimension.distribution == "loguniform"
    if log and min(a, b, dimension.low) <= 0:
        return False
    scale = math.log if log else float
    span = abs(scale(dimension.high) - scale(dimension.low))
    return abs(scale(a) - scale(b)) <= TOLERANCE * span


class DedupSearch(PickledSearcher):
    """``inner``'s points over ``space``, none run twice (see the module docstring)."""

    def __init__(self, space: SearchSpace, inner: Searcher | None, metric: Any, mode: Any) -> None:
        super().__init__(metric=metric, mode=mode)
        self.space, self.inner = space, inner
        self.ended: dict[str, dict[str, Any]] = {}  # point -> its last result (ended, stopped)
        self.ended_points: dict[str, dict[str, Any]] = {}  # point key -> point
        self.points: dict[str, dict[str, Any] | None] = {}  # running trial -> its point
        self.inner_ids: dict[str, str] = {}  # running trial -> its id in the inner searcher
        self.twins: dict[str, list[str]] = {}  # running trial -> inner ids that drew its point

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        return self._new_point(trial_id)

    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        self.inner.on_trial_result(self.inner_ids.get(trial_id, trial_id), result)

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        self._point_ended(trial_id, result, error, self.inner)

    def set_search_properties(self, metric: Any, mode: Any, config: dict, **spec: Any) -> bool:
        return True  # metric and mode are set at construction, the space is the define-by-run

    def _new_point(self, trial_id: str) -> dict[str, Any] | None:
        """The inner searcher's next point that no other trial has run or is running."""
        for attempt in range(REDRAWS):
            inner_id = f"{trial_id}~{attempt}" if attempt else trial_id
            point = self.inner.suggest(inner_id)
            if point is None or attempt == REDRAWS - 1:
                break
            known, twin = self._ended(point), self._running(point)
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
        return point

    def _point_ended(
        self, trial_id: str, result: dict[str, Any] | None, error: bool, inner: Searcher
    ) -> None:
        """Remember the point's result; tell ``inner`` (and the twins that drew the point)."""
        point = self.points.pop(trial_id, None)
        if point is not None and result and not error:  # ended, or stopped by a rung
            self._remember(point, trial_id, result)
        for inner_id in [self.inner_ids.pop(trial_id, trial_id), *self.twins.pop(trial_id, [])]:
            inner.on_trial_complete(inner_id, result, error)

    def _remember(self, point: dict[str, Any], trial_id: str, result: dict[str, Any]) -> None:
        self.ended[point_key(point)] = {**result, "trial_id": trial_id}
        # absent in searchers pickled whole before it existed (Tune restores the old object)
        self.__dict__.setdefault("ended_points", {})[point_key(point)] = point

    def _link(self, inner_id: str, trial_id: str | None) -> None:
        """The store's trial id as the study trial's user attribute (``_optuna.py``)."""
        link = getattr(self.inner, "link", None)
        if link is not None and trial_id is not None:
            link(inner_id, trial_id)

    def _running(self, point: dict[str, Any]) -> str | None:
        """The running trial of ``point`` (or of a point within TOLERANCE of it), if any."""
        dims = self.space.dimensions()
        return next(
            (t for t, p in self.points.items() if p is not None and same_point(p, point, dims)),
            None,
        )

    def _ended(self, point: dict[str, Any]) -> dict[str, Any] | None:
        """The last result of the trial that ran ``point`` (or a point within TOLERANCE)."""
        known = self.ended.get(point_key(point))
        if known is not None:
            return known
        dims = self.space.dimensions()
        ran = getattr(self, "ended_points", {})  # absent in searchers saved before it existed
        return next((self.ended[k] for k, p in ran.items() if same_point(p, point, dims)), None)
