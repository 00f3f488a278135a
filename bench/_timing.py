"""Side-by-side timing for the bench scripts: two workloads interleaved, so that machine noise
hits both alike, summarized by medians."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    """(wall seconds, result) of one call."""
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def interleaved_medians(
    first: Callable[[], Any], second: Callable[[], Any], rounds: int
) -> tuple[float, float, list[Any]]:
    """Median seconds of each over ``rounds`` alternating calls, and the first's results."""
    firsts, seconds, results = [], [], []
    for _ in range(rounds):
        elapsed, result = timed(first)
        firsts.append(elapsed)
        results.append(result)
        seconds.append(timed(second)[0])
    return statistics.median(firsts), statistics.median(seconds), results
