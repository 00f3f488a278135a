"""Choosing a sweep's best trial (no Ray): by a trials column, in its direction, failures out.
``symsearch status``, ``symsearch best`` and ``Sweep.best`` all choose with ``choose_best``."""

from __future__ import annotations

import math
from typing import Any

from pipeline.errors import SymsearchError, TrialStatus

# Columns where smaller is better; the two metrics follow the dataset's (or the space's) mode.
SMALLER_IS_BETTER = ("error", "loss", "seconds", "residual")


class BestTrialError(SymsearchError):
    """No trial to choose from, or a metric the trials table does not have."""


def metric_mode(metric: str, rows: list[dict[str, Any]], space_mode: str | None) -> str:
    """max or min for ``metric``: the sweep's direction for the validation and test metrics,
    min for errors, losses, residuals and seconds, max otherwise."""
    if metric in ("val_metric", "test_metric"):
        return space_mode or rows[0].get("metric_mode") or "max"
    return "min" if any(word in metric for word in SMALLER_IS_BETTER) else "max"


def choose_best(
    rows: list[dict[str, Any]],
    metric: str = "val_metric",
    mode: str | None = None,
    space_mode: str | None = None,
) -> tuple[dict[str, Any], str]:
    """The best row by ``metric`` among trials that did not fail (ties: the earlier row) and
    the direction used. ``mode`` None: ``metric_mode`` (``space_mode``: the sweep's own)."""
    from pipeline._util.text import did_you_mean

    if rows and metric not in rows[0]:
        numeric = [k for k, v in rows[0].items() if isinstance(v, int | float)]
        raise BestTrialError(
            f"--metric {metric}: not a column of trials{did_you_mean(metric, numeric)}"
        )
    scored = [r for r in rows if r["status"] != TrialStatus.FAILED and _finite(r.get(metric))]
    if not scored:
        raise BestTrialError(f"no trial that did not fail has a {metric} yet")
    if mode not in (None, "max", "min"):
        raise BestTrialError(f"mode: expected max or min, got {mode!r}")
    mode = mode or metric_mode(metric, scored, space_mode)
    sign = 1.0 if mode == "max" else -1.0
    best = max(scored, key=lambda r: sign * float(r[metric]))
    return best, mode


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
