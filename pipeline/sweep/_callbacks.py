"""Driver-side Tune callbacks: store rows for trials that could not write their own, and progress.

A trial writes its own ``trials`` row when it finishes or diverges. Two endings leave it no
chance: the scheduler stopping it early (status ``stopped``) and an exception that outlived its
retries or a dead worker (status ``failed``, with the error). The driver writes those rows.

Callbacks are pickled with the experiment (for ``Tuner.restore``): they hold plain settings only.
"""

from __future__ import annotations

import os
import pickle
import time
from typing import Any

from ray.tune import Callback

from pipeline.errors import TrialStatus
from pipeline.sweep._batching import member_id, member_ids, members_of
from pipeline.sweep._progress import ENDED, Progress, format_eta
from pipeline.sweep._trainable import TrialSpec, searched


class StoreCallback(Callback):
    def __init__(self, spec: TrialSpec, dataset: dict[str, Any]) -> None:
        self.spec, self.dataset = spec, dataset

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        if members_of(trial.config) is not None:  # members write their own rows; FIFO never
            return  # stops a batch (its members' rungs do, inside it)
        if "trial_status" not in trial.last_result:  # ended between epochs: a scheduler stop
            self._write(trial.trial_id, trial.config, trial.last_result, TrialStatus.STOPPED, None)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        members, error = members_of(trial.config), error_line(trial)
        if members is None:
            self._write(trial.trial_id, trial.config, trial.last_result, TrialStatus.FAILED, error)
            return
        from pipeline.store import open_store
        from pipeline.sweep._members import stored_trials

        ids = member_ids(trial.trial_id, trial.config)
        ended = stored_trials(open_store(self.spec.store), self.spec.sweep, ids)
        last = trial.last_result or {}
        for k, (trial_id, params) in enumerate(zip(ids, members, strict=True)):
            if trial_id not in ended:  # a member that had not written its row: failed with it
                own = last if last.get("member") == k else {}
                self._write(trial_id, params, own, TrialStatus.FAILED, error)

    def _write(
        self,
        trial_id: str,
        params: dict[str, Any],
        last: dict[str, Any] | None,
        status: str,
        error: str | None,
    ) -> None:
        from pipeline.space import make_config
        from pipeline.store import StoreWriter, next_attempt, open_store
        from pipeline.trial import RunContext, trial_row

        last = last or {}
        config = make_config(self.spec.values(params))
        location = open_store(self.spec.store)
        attempt = max(1, next_attempt(location, self.spec.sweep, trial_id) - 1)
        row = trial_row(
            config,
            self.dataset,
            status,
            error,
            int(last.get("epoch", 0)),
            last.get("val_metric"),
            float(last.get("train_seconds", 0.0)),
            config.device,
            robustness=last.get("robustness"),  # stopped by a rung: its latest score
            context=RunContext(last.get("node", last.get("hostname")), self.spec.git_commit),
        )
        writer = StoreWriter(location, self.spec.sweep, trial_id, attempt)
        writer.add("trials", row)
        writer.flush()


def error_line(trial: Any) -> str:
    """The original exception of a failed trial, in one line."""
    error = _trial_error(trial)
    cause = getattr(error, "cause", None) or error
    if cause is None:
        return "trial failed (no error recorded)"
    text = [line for line in str(cause).strip().splitlines() if line.strip()]
    # A traceback's message is its last line; Ray's own errors lead with theirs (a dead worker:
    # "The actor died unexpectedly ...", then pages of advice)
    line = "" if not text else text[-1] if text[0].startswith("Traceback") else text[0]
    return f"{type(cause).__name__}: {line}".rstrip(": ")


def _trial_error(trial: Any) -> BaseException | None:
    """The trial's latest exception: Tune writes it on the driver first and copies it to the
    experiment directory later, so a retry's callback finds it only in the driver's copy."""
    local = getattr(trial, "pickled_error_file", None)
    if local and os.path.exists(local):
        with open(local, "rb") as file:
            return pickle.load(file)
    return trial.get_pickled_error() if hasattr(trial, "get_pickled_error") else None


def ended_state(trial: Any) -> str:
    """How a trial that ended without error ended: its own status, else a scheduler stop."""
    return trial.last_result.get("trial_status", TrialStatus.STOPPED.value)


def trial_state(trial: Any) -> str:
    """completed, stopped, failed, running or pending, as the store will say."""
    status = trial.status
    if status == "ERROR":
        return TrialStatus.FAILED.value
    if status == "TERMINATED":
        return ended_state(trial)
    return {"RUNNING": "running", "PENDING": "pending", "PAUSED": "pending"}.get(status, "pending")


class ProgressCallback(Callback):
    """A compact live view: "k of N" trials done, trials by state, each running trial's epochs,
    the best metric so far, the elapsed time and an ETA (``_progress``).

    On a terminal it redraws one small table (rich); otherwise it prints one line per finished
    trial, which keeps logs of cluster jobs readable.
    """

    STATES = ("completed", "stopped", "failed", "running", "pending", "interrupted")

    def __init__(self, sweep: str, metric: str, mode: str, budget: int, epochs: int = 1) -> None:
        self.sweep, self.metric, self.mode, self.budget = sweep, metric, mode, budget
        self.epochs = epochs  # each trial's epochs where the space fixes them
        self._reset()

    def _reset(self) -> None:
        self.started = time.monotonic()
        self.live: Any = None
        self.console: Any = None
        self.trials: list = []
        self.ending: dict[str, str] = {}  # ended trials (Tune may still list them as running)
        self.started_here: set[str] = set()  # trials this run started or continued
        self.interrupted: set[str] = set()  # of those, ones Ctrl-C stopped (Tune: terminated)
        self.members: dict[str, dict] = {}  # batched trials' members: their final results
        self.last_draw = 0.0

    def __getstate__(self) -> dict[str, Any]:
        return {k: self.__dict__[k] for k in ("sweep", "metric", "mode", "budget", "epochs")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({"epochs": 1, **state})  # an experiment saved without epochs
        self._reset()

    def setup(self, **info: Any) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console(stderr=True)
        if self.console.is_terminal:
            self.live = Live(console=self.console, refresh_per_second=2, transient=False)
            self.live.start()

    def on_step_end(self, iteration: int, trials: list, **info: Any) -> None:
        self.trials = trials
        if self.live is not None and time.monotonic() - self.last_draw > 0.5:
            self.last_draw = time.monotonic()
            self.live.update(self.render())

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.started_here.add(trial.trial_id)

    def on_trial_result(
        self, iteration: int, trials: list, trial: Any, result: dict, **info: Any
    ) -> None:
        """A member of a batched trial ends with its own final report."""
        if "member" in result and "trial_status" in result:
            member = member_id(trial.trial_id, int(result["member"]))
            self.members[member] = result
            self.ending[member] = str(result["trial_status"])
            if self.live is None:
                value = result.get(self.metric)
                shown = f" {self.metric} {value:.4f}" if isinstance(value, float) else ""
                if result["trial_status"] == TrialStatus.FAILED:
                    shown = f": {result.get('error')}"
                line = f"trial {member} {result['trial_status']}{shown}"
                self._say(f"{line} | {self.summary_line()}")

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._finished(trials, trial)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._finished(trials, trial)

    def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        """A raised error or a dead worker, with retries left: say so in one line (Tune's own
        traceback is off unless --verbose)."""
        self._say(
            f"trial {trial.trial_id} retried after failure {trial.num_failures}: "
            f"{error_line(trial)}"
        )

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        self.trials = trials
        # a trial that ran here and never ended through a callback was stopped by Ctrl-C
        self.interrupted = {
            t.trial_id
            for t in trials
            if t.trial_id in self.started_here and t.trial_id not in self.ending
        }
        if self.live is not None:
            self.live.update(self.render())
            self.live.stop()
        elif self.console is not None:
            self.console.print(self.summary_line(), highlight=False, soft_wrap=True)

    def _finished(self, trials: list, trial: Any) -> None:
        self.trials = trials
        if trial.trial_id in self.ending:
            return
        if members_of(trial.config) is not None and trial.status != "ERROR":
            return  # each member said how it ended (on_trial_result)
        ended = "failed" if trial.status == "ERROR" else ended_state(trial)
        self.ending[trial.trial_id] = ended
        value = trial.last_result.get(self.metric)
        shown = f" {self.metric} {value:.4f}" if isinstance(value, float) else ""
        progress = self.progress()
        shown += f" ({progress.epochs_done(trial)}/{progress.trial_epochs(trial)} epochs)"
        if ended == "failed":
            shown = f": {error_line(trial)}"
        if self.live is None:
            self._say(f"trial {trial.trial_id} {ended}{shown} | {self.summary_line()}")
        elif ended == "failed":  # the live table counts it; why it failed goes above the table
            self._say(f"trial {trial.trial_id} failed{shown}")

    def _say(self, line: str) -> None:
        if self.live is not None:
            self.live.console.print(line, highlight=False, soft_wrap=True)  # above the table
        elif self.console is not None:
            self.console.print(line, highlight=False, soft_wrap=True)

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys(self.STATES, 0)
        for trial in self.trials:  # a batched Ray trial counts each of its configurations
            if members_of(trial.config) is None:
                found[self._state(trial)] += 1
                continue
            for member in member_ids(trial.trial_id, trial.config):
                found[self.ending.get(member) or self._state(trial)] += 1
        return found

    def _state(self, trial: Any) -> str:
        if trial.trial_id in self.interrupted:
            return "interrupted"
        return self.ending.get(trial.trial_id) or trial_state(trial)

    def best(self) -> tuple[float | None, Any]:
        # the ending this view recorded first: Tune calls back before it marks the trial ended,
        # so by its status alone the trial that just completed would count only an event later
        scored = [
            (t.last_result.get(self.metric), t)
            for t in self.trials
            if self._state(t) in ("completed", "stopped") and members_of(t.config) is None
        ]
        scored += [
            (r.get(self.metric), r)
            for r in self.members.values()
            if r.get("trial_status") in ("completed", "stopped")
        ]
        scored = [(v, t) for v, t in scored if isinstance(v, float) and v == v]
        if not scored:
            return None, None
        choose = max if self.mode == "max" else min
        return choose(scored, key=lambda pair: pair[0])

    def progress(self) -> Progress:
        return Progress(self.budget, self.epochs)

    def eta(self) -> str:
        """``ETA 4m05s``; ``""`` once the budget's trials have all ended."""
        counts = self.counts()
        if counts["completed"] + counts["stopped"] + counts["failed"] >= self.budget:
            return ""
        elapsed = time.monotonic() - self.started
        return format_eta(self.progress().eta_seconds(self.trials, self._state, elapsed))

    def _done(self, counts: dict[str, int]) -> str:
        """ "k of N done", configurations counted (a batched Ray trial holds several)."""
        return f"{sum(n for state, n in counts.items() if state in ENDED)} of {self.budget} done"

    def summary_line(self) -> str:
        counts = self.counts()
        parts = [f"{self.sweep}: {self._done(counts)}"]
        parts += [f"{n} {state}" for state, n in counts.items() if n and state != "completed"]
        epochs = self.progress().running_epochs(self.trials, self._state)
        if epochs:
            parts.append(f"epochs {epochs}")
        value, trial = self.best()
        if trial is not None:
            parts.append(f"best {self.metric} {value:.4f} ({_candidate(trial)})")
        elapsed = f"{time.monotonic() - self.started:.0f}s"
        return ", ".join(part for part in [*parts, elapsed, self.eta()] if part)

    def render(self) -> Any:
        from rich.table import Table

        table = Table(title=f"sweep {self.sweep}", show_header=True, box=None)
        counts = self.counts()
        states = [s for s in self.STATES if s != "interrupted" or counts[s]]
        columns = ("done", *states, "epochs (running)", f"best {self.metric}", "elapsed", "ETA")
        for column in columns:
            table.add_column(column, justify="right")
        value, trial = self.best()
        best = "-" if trial is None else f"{value:.4f} ({_candidate(trial)})"
        elapsed = f"{time.monotonic() - self.started:.0f}s"
        progress = self.progress()
        table.add_row(
            self._done(counts).removesuffix(" done"),
            *(str(counts[s]) for s in states),
            progress.running_epochs(self.trials, self._state) or "-",
            best,
            elapsed,
            self.eta().removeprefix("ETA ") or "-",
        )
        return table


def _candidate(trial: Any) -> str:
    """A trial's candidate group (a member's final result names its own)."""
    if isinstance(trial, dict):
        return str(trial.get("candidate_group", ""))
    return str(searched(trial.config).get("candidate_group", ""))
