"""What the live view says beyond the counts: "k of N" trials done, each running trial's epochs,
and when the sweep should end (ETA).

The ETA counts work in epochs: an ended trial did all of its (a scheduler's stop leaves none
to do), a running trial did the epochs it reported, a trial not yet started does its whole
budget; the rate is the epochs done per second of the sweep so far. The budget counts
configurations, so a batched Ray trial counts its members' epochs (they train side by side).
Under ASHA it is an upper bound (rungs stop trials early); before the first epoch it is
unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.sweep._batching import members_of
from pipeline.sweep._trainable import searched

ENDED = ("completed", "stopped", "failed")
SHOWN_RUNNING = 4  # running trials whose epochs the line names; the rest as "+N"


@dataclass(frozen=True)
class Progress:
    """The sweep's budget (trials) and each trial's epochs where the space fixes them."""

    budget: int
    epochs: int

    def trial_epochs(self, trial: Any) -> int:
        """The trial's epoch budget: its own where the space searches ``epochs``."""
        value = searched(getattr(trial, "config", {}) or {}).get("epochs", self.epochs)
        return value if isinstance(value, int) and value > 0 else self.epochs

    def epochs_done(self, trial: Any) -> int:
        value = (getattr(trial, "last_result", {}) or {}).get("epoch", 0)
        return min(int(value), self.trial_epochs(trial)) if isinstance(value, int) else 0

    def running_epochs(self, trials: Sequence[Any], state: Callable[[Any], str]) -> str:
        """Each running trial's epochs, ``"t1 4/30, t2 1/30"``; ``""`` where none runs."""
        running = [t for t in trials if state(t) == "running"]
        shown = [
            f"{t.trial_id} {self.epochs_done(t)}/{self.trial_epochs(t)}"
            for t in running[:SHOWN_RUNNING]
        ]
        if len(running) > SHOWN_RUNNING:
            shown.append(f"+{len(running) - SHOWN_RUNNING}")
        return ", ".join(shown)

    def eta_seconds(
        self, trials: Sequence[Any], state: Callable[[Any], str], elapsed: float
    ) -> float | None:
        """Seconds until the budget's last epoch at the rate so far; None before any epoch."""
        done = total = configurations = 0
        for trial in trials:
            width = _width(trial)  # a batched Ray trial trains its members side by side
            budget = self.trial_epochs(trial)
            total += width * budget
            done += width * (budget if state(trial) in ENDED else self.epochs_done(trial))
            configurations += width
        total += max(0, self.budget - configurations) * self.epochs
        if done <= 0 or elapsed <= 0:
            return None
        return max(0.0, total - done) * elapsed / done


def _width(trial: Any) -> int:
    """The configurations one Ray trial trains: its members where batched, else 1."""
    members = members_of(getattr(trial, "config", {}) or {})
    return max(1, len(members)) if members is not None else 1


def format_eta(seconds: float | None) -> str:
    """``ETA 4m05s``; ``ETA -`` where unknown."""
    if seconds is None:
        return "ETA -"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"ETA {hours}h{minutes:02d}m"
    return f"ETA {minutes}m{secs:02d}s" if minutes else f"ETA {secs}s"
