"""The Ray Tune function trainable: ``run_trial`` with reports, checkpoints and store writes.

Each epoch is written to the store first, then reported to Tune with a checkpoint of the trial
state, so the scheduler can stop the trial early and a restored trial continues from its last
epoch. The last epoch is held back and reported once with the evaluation, after the trial's rows
are stored: a scheduler stop at that report (ASHA stops every trial at ``max_t``) then loses
nothing. Only ``ray.tune`` is used here (report, get_checkpoint, get_context).
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATE_FILE = "trial_state.pt"
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

    def values(self, params: dict[str, Any]) -> dict[str, Any]:
        device = "cuda" if self.gpu > 0 else "cpu"
        return {**self.base, **searched(params), "device": device}


def searched(params: dict[str, Any]) -> dict[str, Any]:
    """The searched values of a trial's Tune config (a grid point is nested under GRID_KEY)."""
    return params.get(GRID_KEY, params)


def make_trainable(spec: TrialSpec):
    """The function Ray Tune runs for each trial (its name is part of a restorable experiment)."""

    def symsearch_trial(params: dict[str, Any]) -> None:
        run_tune_trial(spec, params)

    return symsearch_trial


def run_tune_trial(spec: TrialSpec, params: dict[str, Any]) -> None:
    from ray import tune

    from pipeline.space import make_config
    from pipeline.store import StoreWriter, next_attempt, open_store
    from pipeline.trial import run_trial

    trial_id = tune.get_context().get_trial_id()
    config = make_config(spec.values(params))
    location = open_store(spec.store)
    attempt = next_attempt(location, spec.sweep, trial_id)  # a retry or a resume: one more
    writer = StoreWriter(location, spec.sweep, trial_id, attempt)
    _share_gpu(spec.gpu)
    reporter = EpochReporter(writer, config.epochs, spec.checkpoint_seconds)
    state = load_state(tune.get_checkpoint())
    if state is not None:  # seconds of the epochs before the checkpoint count too
        reporter.train_seconds = sum(row["seconds"] for row in state.epochs)
    result = run_trial(config, reporter.epoch, resume=state, save=reporter.keep)
    result.trial["node"] = reporter.node
    writer.add("trials", result.trial)
    writer.add_rows("discovery", result.discovery)
    writer.add_rows("robustness", result.robustness)
    writer.flush()
    reporter.final(result.trial, result.epochs)


class EpochReporter:
    """Writes each epoch to the store, then reports it to Tune with the latest checkpoint."""

    def __init__(self, writer: Any, epochs: int, checkpoint_seconds: float) -> None:
        self.writer, self.epochs, self.checkpoint_seconds = writer, epochs, checkpoint_seconds
        self.last_checkpoint = time.monotonic()
        self.state: Any = None
        self.node = ray_node()
        self.held: dict[str, Any] | None = None
        self.train_seconds = 0.0

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

    def final(self, trial: dict[str, Any], epochs: list[dict[str, Any]]) -> None:
        """The last epoch with the evaluation. A trial restored from its final checkpoint trains
        no epoch in this attempt: its last stored epoch stands in."""
        if self.held is None and epochs:
            self.held = self._metrics(epochs[-1])
        metrics = dict(self.held or {})
        metrics.update({key: trial.get(key) for key in FINAL_FIELDS})
        metrics["trial_status"] = trial["status"]
        if trial["status"] == "failed":  # the searcher records a failure, not a score
            metrics["val_metric"] = metrics["train_loss"] = math.nan
            metrics["error"] = trial["error"]
        self._report(metrics)

    def _metrics(self, row: dict[str, Any]) -> dict[str, Any]:
        return {"epoch": row["epoch"], "train_loss": row["train_loss"],
                "val_metric": row["val_metric"], "seconds": row["seconds"],
                "train_seconds": self.train_seconds, "attempt": self.writer.attempt,
                "node": self.node}  # fmt: skip

    def _report(self, metrics: dict[str, Any]) -> None:
        """With a checkpoint when one is due: a resumed trial repeats at most the epochs since."""
        from ray import tune

        due = time.monotonic() - self.last_checkpoint >= self.checkpoint_seconds
        if self.state is None or not (due or "trial_status" in metrics):
            tune.report(metrics)
            return
        self.last_checkpoint = time.monotonic()
        with tempfile.TemporaryDirectory() as folder:
            save_state(self.state, Path(folder))
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(folder))


def ray_node() -> str:
    """host/node id: several Ray nodes can share a host (and its name)."""
    import platform

    import ray

    return f"{platform.node()}/{ray.get_runtime_context().get_node_id()[:12]}"


def save_state(state: Any, folder: Path) -> None:
    import torch

    torch.save(state.to_dict(), folder / STATE_FILE)


def load_state(checkpoint: Any) -> Any:
    """The TrialState in a Tune checkpoint (None for a fresh trial). A checkpoint that cannot be
    read (gone, or cut short by a crash) restarts the trial from scratch: seeded, a restart ends
    exactly where a continued run would, only later."""
    if checkpoint is None:
        return None
    import torch

    from pipeline.trial import TrialState

    try:
        with checkpoint.as_directory() as folder:
            raw = torch.load(Path(folder) / STATE_FILE, weights_only=True)
    except (OSError, RuntimeError, EOFError) as error:
        print(
            f"symsearch: checkpoint {checkpoint.path} unreadable ({error}); restarting the "
            "trial from its first epoch",
            file=sys.stderr,
        )
        return None
    return TrialState(**raw)


def _share_gpu(fraction: float) -> None:
    """A fractional GPU also caps this trial's share of the device memory."""
    if 0 < fraction < 1:
        import torch

        if torch.cuda.is_available():
            torch.cuda.set_per_process_memory_fraction(fraction)
