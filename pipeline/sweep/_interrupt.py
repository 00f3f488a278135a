"""Ctrl-C during a sweep, in symsearch's words: Ray Tune stops the run, saves its experiment
and logs how to continue it with its own API (``Tuner.restore(path=...)``), which a user of
symsearch never calls; those lines are replaced by ``symsearch resume NAME``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

# where Ray logs the stop and its restore hint; and where it warns that a trial Ctrl-C stopped
# left no result file (its rows are in the store)
RAY_LOGGERS = ("ray.tune.tune", "ray.tune.analysis.experiment_analysis")


class RayHints(logging.Filter):
    """Rewrites Ray's line on the first Ctrl-C and drops its restore hint, its list of trials
    that did not complete and its missing result files (the sweep's own report names what to
    run; the store holds the results)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.sweep = name

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if text.startswith("Stop signal received"):
            record.msg = (
                f"sweep {self.sweep}: stopping on Ctrl-C; the running trials keep what they "
                f"stored and `symsearch resume {self.sweep}` continues them (Ctrl-C again "
                "skips saving Ray's experiment state)"
            )
            record.args = ()
            return True
        return not (
            "Tuner.restore" in text
            or text.startswith(("Trials did not complete", "Failed to fetch metrics"))
        )


@contextmanager
def ray_hints_replaced(name: str) -> Iterator[None]:
    """While Ray Tune runs the sweep ``name``: its hints name ``symsearch resume``."""
    hints = RayHints(name)
    for logger in RAY_LOGGERS:
        logging.getLogger(logger).addFilter(hints)
    try:
        yield
    finally:
        for logger in RAY_LOGGERS:
            logging.getLogger(logger).removeFilter(hints)
