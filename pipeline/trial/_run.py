"""One trial: a dataset and one point of the search space, trained and read out.

``run_trial(config, report)`` trains an unconstrained model with a learnable augmentation over the
candidate group, calls ``report(metrics)`` after every epoch, and returns the rows of the store's
``trials``, ``epochs``, ``discovery`` and ``robustness`` tables (without ``sweep``/``trial_id``/
``attempt``, which the caller owns). It never imports ray: sweeps wrap it.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import torch

from pipeline.discovery import DataTest
from pipeline.errors import NumericalBreakdown, TrialStatus
from pipeline.space import TrialConfig, make_config
from pipeline.trial._evaluate import evaluate
from pipeline.trial._rows import RunContext, TrialResult, setup_row
from pipeline.trial._setup import TrialState, build, first_line
from pipeline.trial._train import Diverged, Report, Save, state_damage, train

TIMING_FIELDS = (
    "train_seconds",
    "seconds",
    "finished_at",
    "eval_seconds",
    "build_seconds",
    "total_seconds",
)


# Numerical breakdowns end a trial as failed with a one-line reason instead of a traceback.
BREAKDOWNS = (NumericalBreakdown, torch.linalg.LinAlgError)


def breakdown_line(reason: Exception, epochs: list[dict[str, Any]]) -> str:
    if isinstance(reason, Diverged):
        return str(reason)  # says where already
    return f"numerical breakdown after {len(epochs)} epochs: {first_line(reason)}"


def run_trial(
    config: TrialConfig | dict[str, Any],
    report: Report | None = None,
    *,
    resume: TrialState | None = None,
    save: Save | None = None,
    data_test: DataTest | None = None,
    context: RunContext | None = None,
) -> TrialResult:
    """Train and evaluate one configuration; see the module docstring.

    ``save(state)`` is called after every epoch (before ``report``) with a checkpoint;
    ``resume=state`` continues from one exactly as if the trial had never stopped;
    ``data_test``: the sweep's test of this dataset and candidate (else the trial runs it);
    ``context``: where and how it runs, as the caller knows it (its ``trials`` row says).
    """
    config = config if isinstance(config, TrialConfig) else make_config(config)
    began = time.perf_counter()
    setup = build(config)
    setup.data_test = data_test
    damage = state_damage(setup, resume) if resume is not None else None
    resume = None if damage else resume  # a damaged checkpoint: restart from the first epoch
    context = context if context is not None else RunContext()
    setup.context = replace(context, restarted=damage) if damage else context
    started = time.perf_counter()
    epochs: list[dict[str, Any]] = list(resume.epochs) if resume else []
    try:
        train(setup, epochs, report or (lambda metrics: None), resume, save)
        result = evaluate(setup, epochs, time.perf_counter() - started)
    except BREAKDOWNS as reason:  # the trial fails with the reason; a sweep goes on
        seconds = time.perf_counter() - started
        row = setup_row(setup, TrialStatus.FAILED, breakdown_line(reason, epochs), epochs, seconds)
        result = TrialResult(row, epochs)
    result.trial.update(build_seconds=started - began, total_seconds=time.perf_counter() - began)
    return result
