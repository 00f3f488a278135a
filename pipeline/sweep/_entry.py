"""The function Ray Tune runs for each trial: one configuration (``_trainable``) or a batch of
them (``_members``, under ``batch_trials``)."""

from __future__ import annotations

from typing import Any

from pipeline.sweep._batching import MEMBERS_KEY
from pipeline.sweep._members import run_tune_batch
from pipeline.sweep._trainable import TrialSpec, run_tune_trial


def make_trainable(spec: TrialSpec):
    """The function Ray Tune runs for each trial (its name is part of a restorable experiment)."""

    def symsearch_trial(params: dict[str, Any]) -> None:
        if MEMBERS_KEY in params:  # a batch of configurations
            run_tune_batch(spec, params)
        else:
            run_tune_trial(spec, params)

    return symsearch_trial
