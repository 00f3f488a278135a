"""A batched Tune trial's body (``sweep._batching``): each member's store writer, attempt,
saved state, reports and rungs, and their configurations trained by ``trial.run_trials``."""

from __future__ import annotations

from typing import Any

from pipeline.sweep._batching import Rungs, member_ids, members_of, recorded_at
from pipeline.sweep._trainable import EpochReporter, load_state, share_gpu, sweep_test


def run_tune_batch(spec: Any, params: dict[str, Any]) -> None:
    """A batched Tune trial: its members that have not ended yet (a retried batch keeps the
    members that wrote their ``trials`` row), one batch per shared data and network."""
    from ray import tune

    from pipeline.space import make_config
    from pipeline.store import open_store
    from pipeline.trial import batch_key

    trial_id = tune.get_context().get_trial_id()
    ids = member_ids(trial_id, params)
    configs = [make_config(spec.values(p)) for p in members_of(params) or []]
    location = open_store(spec.store)
    ended = stored_trials(location, spec.sweep, ids)
    share_gpu(spec.gpu)
    parts: dict[str, list[int]] = {}
    for k, config in enumerate(configs):
        if ids[k] not in ended:
            parts.setdefault(batch_key(config), []).append(k)
    for indices in parts.values():
        runs = [MemberRun(spec, location, ids[k], k, configs[k]) for k in indices]
        _train_members(spec, runs)


def stored_trials(location: Any, sweep: str, ids: list[str]) -> set[str]:
    """Which of ``ids`` have a ``trials`` row in the store (they ended)."""
    from pipeline.store import read_table

    rows = read_table(location, "trials", sweep).select(["trial_id"]).to_pylist()
    return {r["trial_id"] for r in rows} & set(ids)


class MemberRun:
    """One member's store writer, saved state and reports (``EpochReporter``), and its rungs."""

    def __init__(self, spec: Any, location: Any, trial_id: str, index: int, config: Any) -> None:
        from pipeline.store import StoreWriter, claim_attempt

        self.spec, self.location, self.trial_id, self.config = spec, location, trial_id, config
        attempt = claim_attempt(location, spec.sweep, trial_id)
        self.writer = StoreWriter(location, spec.sweep, trial_id, attempt)
        self.reporter = EpochReporter(
            self.writer, config.epochs, spec.checkpoint_seconds, member=index
        )
        state = load_state(location, spec.sweep, trial_id)
        self.damage = state if isinstance(state, str) else None
        self.state = None if isinstance(state, str) else state
        if self.state is not None:  # seconds of the epochs before the checkpoint count too
            self.reporter.train_seconds = sum(r.get("seconds", 0.0) for r in self.state.epochs)

    def report(self, row: dict[str, Any]) -> str | None:
        """Store and report the epoch; STOP where a rung of the sweep's ASHA says so."""
        from pipeline.trial import STOP

        self.reporter.epoch(row)
        rungs: Rungs | None = self.spec.rungs
        epoch = row["epoch"]
        if rungs is None or epoch >= self.config.epochs or epoch not in rungs.milestones():
            return None
        value = self.reporter.robustness if rungs.metric == "robustness" else row[rungs.metric]
        recorded = recorded_at(self.location, self.spec.sweep, epoch, rungs.metric, self.trial_id)
        return STOP if rungs.stops(value, recorded) else None

    def ended(self, result: Any) -> None:
        """The member's rows, then its final report (the searcher's record of it)."""
        from pipeline.sweep._tracking import final_figures

        self.writer.add_result(result)
        figures = final_figures(result.discovery, result.robustness)
        self.reporter.final(result.trial, result.epochs, figures)


def _train_members(spec: Any, runs: list[MemberRun]) -> None:
    from pipeline.trial import RunContext, run_trials

    run_trials(
        [run.config for run in runs],
        [run.report for run in runs],
        resumes=[run.state for run in runs],
        saves=[run.reporter.keep for run in runs],
        data_tests=[sweep_test(spec, run.config) for run in runs],
        contexts=[
            RunContext(node=run.reporter.node, git_commit=spec.git_commit, restarted=run.damage)
            for run in runs
        ],
        ended=lambda index, result: runs[index].ended(result),
    )
