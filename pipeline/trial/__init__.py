"""One trial (L2): a dataset and one point of the search space, built, trained and read out.

``run_trial(config, report)`` returns the rows of the store's ``trials``, ``epochs``,
``discovery`` and ``robustness`` tables; it never imports ray (sweeps wrap it). The steps, one
module each: ``_setup`` (data, model, augmentation, checked before training), ``_train`` (epochs
and checkpoints), ``_predict`` (the averaging sets a trial predicts with), ``_evaluate`` (test
metric, equivariance, discovery readout), ``_robustness`` (moved test sets, the per-epoch
objective), ``_rows`` (the rows, the ``trials`` row included), ``_run`` (all of it in order) and
``_batched`` (several trials that share data and network, trained as one batched model:
``run_trials``).
"""

from pipeline.trial._batched import STOP, BatchOptions, batch_key, run_trials
from pipeline.trial._evaluate import chance_level, chance_note, evaluate, test_seeds
from pipeline.trial._predict import (
    TEST_SEED_OFFSET,
    evaluate_split,
    learned_averaging,
    test_averaging,
)
from pipeline.trial._robustness import in_support, robustness_score
from pipeline.trial._rows import (
    PARAMS_PREFIX,
    RunContext,
    TrialResult,
    dataset_fields,
    dataset_params,
    params_fields,
    trial_row,
)
from pipeline.trial._run import TIMING_FIELDS, run_trial
from pipeline.trial._setup import (
    RANDOM_BASIS_LR,
    Setup,
    TrialState,
    basis_plan,
    build,
    check_candidate,
    check_model_options,
)
from pipeline.trial._train import make_optimizer, train

__all__ = [
    "PARAMS_PREFIX",
    "RANDOM_BASIS_LR",
    "STOP",
    "TEST_SEED_OFFSET",
    "TIMING_FIELDS",
    "BatchOptions",
    "RunContext",
    "Setup",
    "TrialResult",
    "TrialState",
    "basis_plan",
    "batch_key",
    "build",
    "chance_level",
    "chance_note",
    "check_candidate",
    "check_model_options",
    "dataset_fields",
    "dataset_params",
    "evaluate",
    "evaluate_split",
    "in_support",
    "learned_averaging",
    "make_optimizer",
    "params_fields",
    "robustness_score",
    "run_trial",
    "run_trials",
    "test_averaging",
    "test_seeds",
    "train",
    "trial_row",
]
