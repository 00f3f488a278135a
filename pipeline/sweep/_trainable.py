"""The Ray Tune function trainable: ``run_trial`` with reports, saved states and store writes.

Each epoch is written to the store first, then reported to Tune, so the scheduler can stop the
trial early. The trial's state is saved (at most every ``checkpoint_seconds``, and at the end)
as one file per trial in the store, ``_checkpoints/sweep=<name>/<trial_id>.pt``, replaced
atomically: a retried or resumed trial continues from its latest state whatever Ray's
experiment snapshot remembers, and every node of a cluster reaches it.

The last epoch is held back and reported once with the evaluation, after the trial's rows are
stored: a scheduler stop at that report (ASHA stops every trial at ``max_t``) then loses
nothing. Only ``ray.tune`` is used here (report, get_context).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import TrialStatus

GRID_KEY = "point"  # grid sweeps pass each combination under this key
FINAL_FIELDS = ("test_metric", "discovered_group", "discovery_correct", "equivariance_error")


@dataclass(frozen=True)
class TrialSpec:
    """What every trial of a sweep shares; the searcher supplies the rest (``params``)."""

    sweep: str
    store: str
    base: dict[str, Any]  # dataset, model and the fixed trial settings
    gpu: float = 0.0
    checkpoint_seconds: float = 10.0  # at most one checkpoint per this many seconds
    git_commit: str | None = None  # the driver's: Tune runs trials in their own folders
    data_tests: dict[str, Any] = field(default_factory=dict)  # candidate -> the sweep's DataTest
    batch_trials: int = 1  # > 1: Tune trials hold batches of configurations (sweep._batching)
    rungs: Any = None  # under batching, ASHA applied per member (sweep._batching.Rungs)

    def values(self, params: dict[str, Any]) -> dict[str, Any]:
        device = "cuda" if self.gpu > 0 else "cpu"
        return {**self.base, **searched(params), "device": device}


def searched(params: dict[str, Any]) -> dict[str, Any]:
    """The searched values of a trial's Tune config (a grid point is nested under GRID_KEY)."""
    return params.get(GRID_KEY, params)


def run_tune_trial(spec: TrialSpec, params: dict[str, Any]) -> None:
    from ray import tune

    from pipeline.space import make_config
    from pipeline.store import StoreWriter, claim_attempt, open_store
    from pipeline.sweep._figures import final_figures
    from pipeline.trial import RunContext, run_trial

    trial_id = tune.get_context().get_trial_id()
    config = make_config(spec.values(params))
    location = open_store(spec.store)
    attempt = claim_attempt(location, spec.sweep, trial_id)  # a retry or a resume: one more
    writer = StoreWriter(location, spec.sweep, trial_id, attempt)
    share_gpu(spec.gpu)
    reporter = EpochReporter(writer, config.epochs, spec.checkpoint_seconds)
    state = load_state(location, spec.sweep, trial_id)
    if isinstance(state, str):  # unreadable: the trial restarts, and its row says why
        damage, state = state, None
    else:
        damage = None
    if state is not None:  # seconds of the epochs before the checkpoint count too
        reporter.train_seconds = sum(
            row.get("seconds", 0.0) for row in state.epochs if isinstance(row, dict)
        )
    result = run_trial(
        config,
        reporter.epoch,
        resume=state,
        save=reporter.keep,
        data_test=sweep_test(spec, config),
        context=RunContext(node=reporter.node, git_commit=spec.git_commit, restarted=damage),
    )
    writer.add_result(result)
    reporter.final(result.trial, result.epochs, final_figures(result.discovery, result.robustness))


def sweep_test(spec: TrialSpec, config: Any) -> Any:
    """The sweep's data test of this trial's dataset and candidate (None where the trial's data
    or test seeds differ from the sweep's: it then runs its own)."""
    from pipeline.discovery import data_test_id
    from pipeline.trial import test_seeds

    test = spec.data_tests.get(config.candidate_group)
    if test is None:
        return None
    own = data_test_id(config.dataset, config.data_seed, config.candidate_group, test_seeds(config))
    return test if own == test.test_id else None


class EpochReporter:
    """Writes each epoch to the store, saves the state when due, then reports it to Tune."""

    def __init__(
        self, writer: Any, epochs: int, checkpoint_seconds: float, member: int | None = None
    ) -> None:
        self.writer, self.epochs, self.checkpoint_seconds = writer, epochs, checkpoint_seconds
        self.member = member  # its place in a batched Tune trial (None: a trial of its own)
        self.last_checkpoint = time.monotonic()
        self.state: Any = None
        self.node = ray_node()
        self.held: dict[str, Any] | None = None
        self.train_seconds = 0.0
        self.robustness: float | None = None  # the latest per-epoch score, reported each epoch

    def keep(self, state: Any) -> None:
        self.state = state

    def epoch(self, row: dict[str, Any]) -> None:
        self.writer.add("epochs", row)
        self.writer.flush()
        self.train_seconds += row["seconds"]
        metrics = self._metrics(row)
        if row["epoch"] == self.epochs:
            self.held = metrics  # reported with the evaluation, after the trial's rows are stored
            return
        self._report(metrics)

    def final(
        self,
        trial: dict[str, Any],
        epochs: list[dict[str, Any]],
        figures: dict[str, Any] | None = None,
    ) -> None:
        """The last epoch with the evaluation (and its discovery and robustness figures, for
        the trackers). A trial restored from its final checkpoint trains no epoch in this
        attempt: its last stored epoch stands in."""
        if self.held is None and epochs:
            self.held = self._metrics(epochs[-1])
        metrics = dict(self.held or {})
        metrics.update({key: trial.get(key) for key in FINAL_FIELDS})
        metrics.update(figures or {})
        metrics["trial_status"] = trial["status"]
        if self.member is not None:  # the live view names a member's candidate from here
            metrics["candidate_group"] = trial.get("candidate_group")
        if trial["status"] == TrialStatus.FAILED:  # the searcher records a failure, not a score
            metrics["val_metric"] = metrics["train_loss"] = metrics["robustness"] = math.nan
            metrics["error"] = trial["error"]
        self._report(metrics)

    def _metrics(self, row: dict[str, Any]) -> dict[str, Any]:
        if row.get("robustness") is not None:
            self.robustness = row["robustness"]
        member = {} if self.member is None else {"member": self.member}
        return {
            **member,
            "epoch": row["epoch"],
            "train_loss": row["train_loss"],
            "val_metric": row["val_metric"],
            "robustness": self.robustness,
            "seconds": row["seconds"],
            "train_seconds": self.train_seconds,
            "attempt": self.writer.attempt,
            "node": self.node,
        }

    def _report(self, metrics: dict[str, Any]) -> None:
        """Save the state first when a checkpoint is due: a resumed trial repeats at most the
        epochs since."""
        from ray import tune

        due = time.monotonic() - self.last_checkpoint >= self.checkpoint_seconds
        if self.state is not None and (due or "trial_status" in metrics):
            self.last_checkpoint = time.monotonic()
            save_state(self.writer.location, self.writer.sweep, self.writer.trial_id, self.state)
        tune.report(metrics)


def ray_node() -> str:
    """host/node id: several Ray nodes can share a host (and its name)."""
    import platform

    import ray

    return f"{platform.node()}/{ray.get_runtime_context().get_node_id()[:12]}"


def state_name(sweep: str, trial_id: str) -> str:
    return f"_checkpoints/sweep={sweep}/{trial_id}.pt"


def save_state(location: Any, sweep: str, trial_id: str, state: Any) -> None:
    import io

    import torch

    from pipeline.store import write_blob

    buffer = io.BytesIO()
    torch.save(state.to_dict(), buffer)
    write_blob(location, state_name(sweep, trial_id), buffer.getvalue())


def load_state(location: Any, sweep: str, trial_id: str) -> Any:
    """The trial's latest saved TrialState (None for a fresh trial). A state that cannot be read
    restarts the trial from scratch (seeded, a restart ends exactly where a continued run would,
    only later): then the reason, one line, instead of a state."""
    import io

    import torch

    from pipeline.store import read_blob
    from pipeline.trial import TrialState

    payload = read_blob(location, state_name(sweep, trial_id))
    if payload is None:
        return None
    try:
        state = torch.load(io.BytesIO(payload), weights_only=True)
        return TrialState(**state)
    except Exception as error:  # truncated, not a pickle, a wrong structure: any damage
        reason = f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
        print(
            f"symsearch: saved state of trial {trial_id} unreadable ({reason}); restarting it "
            "from its first epoch",
            file=sys.stderr,
        )
        return reason


def share_gpu(fraction: float) -> None:
    """A fractional GPU also caps this trial's share of the device memory."""
    if 0 < fraction < 1:
        import torch

        if torch.cuda.is_available():
            torch.cuda.set_per_process_memory_fraction(fraction)
