"""Checking a space before a sweep starts: its dataset built once and one trial setup per
candidate group (and symmetry breaking) run forward on two examples, no training."""

from __future__ import annotations

from typing import Any

from pipeline.space import Choice, SearchSpace, SpaceError, trial_config


def validate_space(space: SearchSpace) -> dict[str, Any]:
    """Build the dataset once and, as a dry run, one trial setup per candidate group (and
    symmetry breaking) on it: model, augmentation and one forward pass on two examples, no
    training. Returns the dataset's row fields."""
    from pipeline.data import DatasetError, build_dataset
    from pipeline.sweep._search import grid_points
    from pipeline.trial import build, check_model_options, dataset_fields

    config = trial_config(space, {"device": "cpu"})  # trials choose their device on their node
    check_model_options(config)  # before the dataset: it costs nothing
    try:
        dataset = build_dataset(config.dataset, config.data_seed)
    except DatasetError as error:
        raise SpaceError(f"dataset: {error}") from None
    for overrides in _dry_run_points(space):
        build(trial_config(space, {"device": "cpu", **overrides}), dataset)
    if space.searcher == "grid":
        grid_points(space)
    if space.resources.gpu > 1 and space.resources.gpu % 1:
        raise SpaceError(f"resources.gpu: {space.resources.gpu}: above 1, give whole GPUs")
    return dataset_fields(dataset)


def _dry_run_points(space: SearchSpace) -> list[dict[str, Any]]:
    """Every searched value of the settings that decide what a trial builds (the candidate
    group, symmetry breaking); the other settings take their defaults."""
    values = {}
    for key in ("candidate_group", "symmetry_breaking"):
        dimension = space.dimensions().get(key)
        if isinstance(dimension, Choice):
            values[key] = list(dict.fromkeys(map(str, dimension.choices)))
    points: list[dict[str, Any]] = [{}]
    for key, choices in values.items():
        points = [{**point, key: choice} for point in points for choice in choices]
    return points
