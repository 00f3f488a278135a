"""Search spaces as Optuna define-by-run functions, with conditional parameters.

Parameters that mean nothing for the candidate group drawn are not sampled at all (Optuna then
learns nothing false about them): the augmentation's knobs for ``trivial``, the basis penalties
for anything but ``learned<k>``.
"""

from __future__ import annotations

import itertools
from typing import Any

from pipeline.space import Choice, Distribution, SearchSpace, SpaceError, TrialConfig

AUGMENTATION_ONLY = {
    "prior",
    "init_width",
    "reg",
    "aug_lr",
    "aug_warmup",
    "temperature",
    "active_threshold",
    "tolerance",
    "eval_samples",
    "val_samples",
}
LEARNED_ONLY = {
    "basis_orthogonality",
    "basis_sparsity",
    "basis_lr",
    "basis_warmup",
    "basis_init",
    "cosine_threshold",
}


def meaningful(parameter: str, candidate_group: str) -> bool:
    """Does ``parameter`` change anything for trials of this candidate group?"""
    from pipeline.groups import get_group  # torch: not for commands that only read records

    group = get_group(candidate_group)
    if parameter in AUGMENTATION_ONLY:
        return group.lie_dim + group.num_discrete > 0
    if parameter in LEARNED_ONLY:
        return group.learnable
    return True


def define_by_run(space: SearchSpace) -> DefineByRun:
    """f(optuna_trial) -> constants: samples the searched parameters, candidate group first."""
    return DefineByRun(space)


class DefineByRun:
    """A picklable define-by-run function (Ray pickles the searcher with the experiment)."""

    def __init__(self, space: SearchSpace) -> None:
        self.dimensions = space.dimensions()
        self.fixed_candidate = space.trial.get("candidate_group", TrialConfig().candidate_group)

    def __call__(self, trial: Any) -> dict[str, Any]:
        constants: dict[str, Any] = {}
        candidate = self.fixed_candidate
        for key in sorted(self.dimensions, key=lambda k: k != "candidate_group"):
            dimension = self.dimensions[key]
            if key != "candidate_group" and not meaningful(key, candidate):
                continue
            if isinstance(dimension, Choice):
                value = trial.suggest_categorical(key, dimension.choices)
            elif key == "candidate_group":  # one candidate: still a parameter of the study
                value = trial.suggest_categorical(key, [dimension])
            elif isinstance(dimension, Distribution):
                value = _suggest(trial, key, dimension)
            else:
                constants[key] = value = dimension
            if key == "candidate_group":
                candidate = value
        if "candidate_group" not in self.dimensions:  # fixed by the space: a parameter too
            trial.suggest_categorical("candidate_group", [candidate])
        return constants


def grid_points(space: SearchSpace) -> list[dict[str, Any]]:
    """Every distinct meaningful combination of the searched choices (grid search)."""
    dimensions = space.dimensions()
    for key, dimension in dimensions.items():
        if isinstance(dimension, Distribution):
            raise SpaceError(
                f"search.{key}: grid search needs a list of choices, "
                f"not a {dimension.distribution} distribution"
            )
    values = {k: (d.choices if isinstance(d, Choice) else [d]) for k, d in dimensions.items()}
    fixed_candidate = space.trial.get("candidate_group", TrialConfig().candidate_group)
    points: list[dict[str, Any]] = []
    for candidate in values.get("candidate_group", [fixed_candidate]):
        keys = [k for k in values if k != "candidate_group" and meaningful(k, candidate)]
        for combination in itertools.product(*(values[k] for k in keys)):
            point = dict(zip(keys, combination, strict=True))
            if "candidate_group" in values:
                point["candidate_group"] = candidate
            if point not in points:
                points.append(point)
    return points


def _suggest(trial: Any, key: str, dimension: Distribution) -> float | int:
    if dimension.distribution == "randint":
        return trial.suggest_int(key, int(dimension.low), int(dimension.high))
    log = dimension.distribution == "loguniform"
    return trial.suggest_float(key, dimension.low, dimension.high, log=log)
