"""``batch_trials: K``: one Ray Tune trial trains up to K configurations as one batched model.

The mapping: the searcher's draws are grouped (``_groups.GroupSearch``): one Tune trial's config is
``{"members": [params, ...]}``, each member a configuration the inner searcher drew under its
own id, ``<tune trial id>-m<k>``, which is also its ``trial_id`` in the store (rows, attempts,
checkpoints: every per-trial guarantee holds per member). Each member reports its epochs to Tune
with ``member: k`` and ends with its own final report; the searcher learns each member's result
under its own id. Tune's scheduler sees whole batches, so under batching it is FIFO, and ASHA's
rule is applied per member by the trainable (``Rungs``): at each rung a member stops when its
metric is below the (1 - 1/reduction_factor) quantile of the values the sweep's other trials
stored at that epoch, as Ray's ASHA decides from the results it has recorded (here the store is
the record, so it holds across batches, workers and resumes). A stopped member leaves its batch;
the others go on. Members whose data, network or batch size differ train in one Tune trial as
separate batches, one after the other (``pipeline.trial.batch_key``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MEMBERS_KEY = "members"


def member_id(trial_id: str, index: int) -> str:
    """A member's trial id: its Tune trial's id and its place in the batch."""
    return f"{trial_id}-m{index}"


def members_of(params: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The members' searched values of a batched Tune trial's config (None: not batched)."""
    members = params.get(MEMBERS_KEY)
    return list(members) if isinstance(members, list) else None


def member_ids(trial_id: str, params: dict[str, Any]) -> list[str]:
    """The store ids of a Tune trial's configurations (its own id where it is not batched)."""
    members = members_of(params)
    if members is None:
        return [trial_id]
    return [member_id(trial_id, k) for k in range(len(members))]


def chunks(points: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    """A grid's points as the members of batched Tune trials, up to ``size`` each."""
    return [points[i : i + size] for i in range(0, len(points), size)]


@dataclass(frozen=True)
class Rungs:
    """ASHA's rule (one bracket, time in epochs) applied to one member at a time."""

    metric: str
    mode: str
    grace_period: int
    reduction_factor: float
    max_t: int

    def milestones(self) -> list[int]:
        """Ray's rungs: grace_period * reduction_factor**k below max_t."""
        count = int(math.log(self.max_t / self.grace_period) / math.log(self.reduction_factor) + 1)
        return [round(self.grace_period * self.reduction_factor**k) for k in range(count)]

    def stops(self, value: float | None, recorded: list[float]) -> bool:
        """Below the (1 - 1/reduction_factor) quantile of the recorded values at this rung (in
        the better direction); never with no record yet or no value."""
        import numpy as np

        if value is None or not recorded:
            return False
        sign = 1.0 if self.mode == "max" else -1.0
        values = [sign * v for v in recorded if v is not None]
        if not values or all(math.isnan(v) for v in values):
            return False
        cutoff = np.nanpercentile(values, (1 - 1 / self.reduction_factor) * 100)
        return bool(sign * value < cutoff)


def rungs_for(space: Any, mode: Any) -> Rungs | None:
    """The space's ASHA as per-member rungs (None under FIFO)."""
    from pipeline.sweep._strategy import _max_epochs, first, grace_period

    if space.scheduler.name == "fifo":
        return None
    max_t = _max_epochs(space)
    return Rungs(
        metric=first(space.metric),
        mode=first(mode),
        grace_period=min(grace_period(space), max_t),
        reduction_factor=space.scheduler.reduction_factor,
        max_t=max_t,
    )


def recorded_at(location: Any, sweep: str, epoch: int, metric: str, own: str) -> list[float]:
    """The metric every other trial of the sweep stored for ``epoch`` (its latest attempt)."""
    from pipeline.store import read_table

    rows = read_table(location, "epochs", sweep).select(["trial_id", "epoch", metric]).to_pylist()
    return [r[metric] for r in rows if r["epoch"] == epoch and r["trial_id"] != own]
