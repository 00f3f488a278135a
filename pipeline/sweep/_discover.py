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
seed; a continuous value within a tolerance of its range (on its sampling scale) of another
trial's value is that value (``_dedup.py``, shared with the other Optuna searchers). A probe
trial is a real trial: it is stored, counted in the budget and its epochs are spent, but Optuna
never sees it (its epochs and test setting are not a point of the space).

The baseline: where the space offers ``trivial`` and the narrowing left it out, the last trial of
the space's budget runs the defaults on ``trivial`` (budgets of at least 3 trials), so the report
can say whether encoding the discovered symmetry helped the task; last, so that it never delays
the search for the best trial; Optuna never sees it either.

A wrong probe must not trap the search: every EXPLORE_EVERY-th trial (the 13th, the 25th, ...)
runs the space's defaults on a candidate the narrowing left out (each once, in the space's
order; ``trivial`` only where no baseline will run it), and Optuna does not see it. Where such
a trial's own data test finds a generator outside the probe's group, the probe missed it: the
search widens to that candidate too, in a new study (``<study>-widened<n>``) that starts with
every result of the old one. Accuracy alone does not widen it: a smaller group of the right
symmetry (C4 inside SO2) may score as well, and the search is for the data's symmetry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ray.tune.search import Searcher

from pipeline.space import SearchSpace
from pipeline.sweep._dedup import DedupSearch
from pipeline.sweep._probe import (
    BASELINE,
    PROBE_EPOCHS,
    baseline_point,
    candidate_choices,
    contains,
    default_point,
    defaults_on,
    narrowed,
    narrowed_space,
    probe_point,
)

EXPLORE_EVERY = 12  # one trial in this many runs a candidate outside the narrowing (one in 8
# cost digits_rotation 8 of 20 searches in the bench: its rungs then compare with C4)


class DiscoverSearch(DedupSearch):
    """Probe first, then ``inner(space narrowed to the discovery)`` draws every other trial."""

    def __init__(
        self,
        space: SearchSpace,
        inner: Callable[..., Searcher],  # (space) or (space, study name suffix)
        metric: Any,
        mode: Any,
        probe_epochs: int = PROBE_EPOCHS,
        found: str | None = None,
    ) -> None:
        candidates = candidate_choices(space)
        super().__init__(space, None if candidates else inner(space), metric, mode)
        self.make_inner, self.probe_epochs = inner, probe_epochs
        self.candidates = candidates
        self.probe_id: str | None = None
        self.found: str | None = found
        self.exploring: dict[str, str] = {}  # running trial -> its candidate outside the search
        self.explored_points: dict[str, dict[str, Any]] = {}
        self.owners: dict[str, Searcher] = {}  # running trial -> the study before a widening
        if self.candidates and found is not None:  # the sweep's data test read the data: no probe
            self._narrow(found)

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        if self.inner is not None:
            baseline = getattr(self, "baseline", None)
            if baseline is not None and self._last_of_budget():
                self.baseline, self.baseline_id = None, trial_id
                return baseline
            return self._explore(trial_id) or self._new_point(trial_id)
        if self.probe_id is None:
            self.probe_id = trial_id
            return probe_point(self.space, self.probe_epochs)
        return None  # the probe has not ended: wait for its test

    def _new_point(self, trial_id: str) -> dict[str, Any] | None:
        point = super()._new_point(trial_id)
        self.drawn = getattr(self, "drawn", 0) + 1
        return point

    def _explore(self, trial_id: str) -> dict[str, Any] | None:
        """Every EXPLORE_EVERY-th trial: the defaults on the next candidate outside the
        narrowing (None: not this trial, or none is left)."""
        drawn, left = getattr(self, "drawn", 0), getattr(self, "unexplored", [])
        if not left or drawn == 0 or drawn % EXPLORE_EVERY:
            return None
        candidate = left.pop(0)
        self.drawn = drawn + 1
        self.exploring[trial_id] = candidate
        point = self.explored_points[trial_id] = defaults_on(self.space, candidate)
        return point

    def _explored(self, trial_id: str, result: dict[str, Any] | None, error: bool) -> None:
        """An exploring trial ended: widen the search to its candidate where it shows the
        probe was wrong (see the module docstring)."""
        candidate = self.exploring.pop(trial_id)
        point = self.explored_points.pop(trial_id)
        if error or not result:
            return
        ended = "trial_status" in result  # else stopped by a rung: its test did not run
        if ended and self._probe_missed(result.get("discovered_group")):
            self._widen(candidate)
        # known from now on: a widened search that draws this point learns this result
        self._remember(point, trial_id, result)

    def _probe_missed(self, discovered: str | None) -> bool:
        """Did the exploring trial's own test find a generator outside the probe's group?"""
        if not discovered or not self.found:
            return False
        try:
            return not contains(self.found, discovered)
        except (ValueError, KeyError):  # a span name the catalog cannot rebuild
            return False

    def _widen(self, candidate: str) -> None:
        """Search ``candidate`` too, in a new study that starts with the old one's results;
        trials running now report to the study that drew them."""
        self.narrowing = [c for c in self.candidates if c in self.narrowing or c == candidate]
        self.widened = getattr(self, "widened", 0) + 1
        old = self.inner
        for trial_id in self.inner_ids:
            self.owners[trial_id] = old
        space = narrowed_space(self.space, self.narrowing)
        self.inner = self.make_inner(space, f"-widened{self.widened}")
        carry_over(old, self.inner, self.narrowing)

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
        """Search the candidates ``found`` points to, the defaults first, the baseline last,
        the others explored now and then."""
        self.found = found
        candidates = self.narrowing = narrowed(self.candidates, found)
        self.inner = self.make_inner(narrowed_space(self.space, candidates))
        self._defaults_first(candidates)
        self.baseline = baseline_point(self.space, candidates)
        self.baseline_id: str | None = None
        baseline_runs = self.baseline is not None
        self.unexplored = [
            c
            for c in self.candidates
            if c not in candidates and not (c == BASELINE and baseline_runs)
        ]

    def _last_of_budget(self) -> bool:
        """The next trial is the last of the space's budget (the probe counts as one)."""
        started = getattr(self, "drawn", 0) + (self.probe_id is not None)
        return started >= self.space.num_samples - 1

    def _outside(self, trial_id: str) -> bool:
        """The probe and the baseline are no points of the narrowed space: Optuna never sees
        them."""
        return trial_id in (self.probe_id, getattr(self, "baseline_id", None)) or (
            trial_id in self.exploring
        )

    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        if not self._outside(trial_id) and self.inner is not None:
            inner = self.owners.get(trial_id, self.inner)
            inner.on_trial_result(self.inner_ids.get(trial_id, trial_id), result)

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        if trial_id == self.probe_id and self.inner is None:
            self._narrow(None if error or not result else result.get("discovered_group"))
            return
        if trial_id in self.exploring:
            self._explored(trial_id, result, error)
        elif self.inner is not None and not self._outside(trial_id):
            self._point_ended(trial_id, result, error, self.owners.pop(trial_id, self.inner))


def carry_over(old: Searcher, new: Searcher, candidates: list[str]) -> None:
    """Every finished trial of ``old``'s study into ``new``'s, ``candidate_group`` as a choice
    among ``candidates`` (a study's choices cannot change)."""
    import optuna

    source, target = getattr(old, "_ot_study", None), getattr(new, "_ot_study", None)
    if source is None or target is None or target.trials:
        return
    choice = optuna.distributions.CategoricalDistribution(candidates)
    done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    for trial in source.get_trials(deepcopy=False, states=done):
        complete = trial.state == optuna.trial.TrialState.COMPLETE
        target.add_trial(
            optuna.trial.create_trial(
                state=trial.state,
                params=trial.params,
                distributions={
                    k: choice if k == "candidate_group" else d
                    for k, d in trial.distributions.items()
                },
                values=trial.values if complete else None,
                intermediate_values=trial.intermediate_values,
                user_attrs=trial.user_attrs,
            )
        )
