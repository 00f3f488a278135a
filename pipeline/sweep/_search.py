"""Search spaces as Optuna define-by-run functions, with conditional parameters.

Parameters that mean nothing for the candidate group drawn are not sampled at all (Optuna then
learns nothing false about them): the augmentation's knobs for ``trivial``, the basis penalties
for anything but ``learned<k>``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipeline.groups import get_group
from pipeline.space import Choice, Distribution, SearchSpace, TrialConfig

AUGMENTATION_ONLY = {"prior", "init_width", "reg", "aug_lr", "aug_warmup", "temperature",
                     "active_threshold", "tolerance", "eval_samples", "val_samples"}  # fmt: skip
LEARNED_ONLY = {"basis_orthogonality", "basis_sparsity", "cosine_threshold"}


def meaningful(parameter: str, candidate_group: str) -> bool:
    """Does ``parameter`` change anything for trials of this candidate group?"""
    group = get_group(candidate_group)
    if parameter in AUGMENTATION_ONLY:
        return group.lie_dim + group.num_discrete > 0
    if parameter in LEARNED_ONLY:
        return group.learnable
    return True


def define_by_run(space: SearchSpace) -> Callable[[Any], dict[str, Any]]:
    """f(optuna_trial) -> constants: samples the searched parameters, candidate group first."""
    dimensions = space.dimensions()
    fixed_candidate = space.trial.get("candidate_group", TrialConfig().candidate_group)

    def sample(trial: Any) -> dict[str, Any]:
        constants: dict[str, Any] = {}
        candidate = fixed_candidate
        for key in sorted(dimensions, key=lambda k: k != "candidate_group"):
            dimension = dimensions[key]
            if key != "candidate_group" and not meaningful(key, candidate):
                continue
            if isinstance(dimension, Choice):
                value = trial.suggest_categorical(key, dimension.choices)
            elif isinstance(dimension, Distribution):
                value = _suggest(trial, key, dimension)
            else:
                constants[key] = value = dimension
            if key == "candidate_group":
                candidate = value
        return constants

    return sample


def _suggest(trial: Any, key: str, dimension: Distribution) -> float | int:
    if dimension.distribution == "randint":
        return trial.suggest_int(key, int(dimension.low), int(dimension.high))
    log = dimension.distribution == "loguniform"
    return trial.suggest_float(key, dimension.low, dimension.high, log=log)
