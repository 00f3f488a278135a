"""``pipeline.detect``: which symmetries do the data have? The data test alone, no training.

>>> import pipeline
>>> found = pipeline.detect("search_spaces/quickstart.yaml")  # doctest: +SKIP
>>> found.discovered_group, [g["verdict"] for g in found.generators]  # doctest: +SKIP
('SO2', ['absent', 'absent', 'present', 'absent', 'absent', 'absent'])

The test fits its reader on the training split and scores on the validation split only; the
declared group of a built-in dataset is never read.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import SpaceError


@dataclass
class Detection:
    """What the data test says of each generator of ``candidate_group`` on ``dataset``."""

    dataset: str
    candidate_group: str
    discovered_group: str
    generators: list[dict[str, Any]] = field(default_factory=list)
    repeats: int = 1
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def detect(
    space_or_dataset: Any,
    group: Any = None,
    *,
    seed: int | None = None,
    repeats: int | None = None,
    **overrides: Any,
) -> Detection:
    """The data test of ``space_or_dataset`` (a search space file, a space as a dict, or a
    ``pipeline.data.Dataset``) along every generator of ``group`` (a catalog name or a Group;
    default: the space's candidate group, the most general one where it is searched).
    ``overrides``: ``--set`` pairs for a space (``dataset={"limit": 500}``, ``test_seed=1``)."""
    from pipeline.data import Dataset

    started = time.perf_counter()
    if isinstance(space_or_dataset, Dataset):
        dataset, data_seed, spec = space_or_dataset, 0, {"name": space_or_dataset.name}
        test_seed, test_repeats, candidate = seed or 0, repeats or 1, group
    else:
        config = _config(space_or_dataset, group, overrides)
        dataset, data_seed, spec = _dataset(config), config.data_seed, config.dataset
        test_seed = config.test_seed if seed is None else seed
        test_repeats = config.test_repeats if repeats is None else repeats
        candidate = (
            group if group is not None and not isinstance(group, str) else config.candidate_group
        )
    return _detect(
        dataset, data_seed, spec, _group(candidate, dataset), test_seed, test_repeats, started
    )


def _config(space: Any, group: Any, overrides: dict[str, Any]) -> Any:
    from pipeline.space import Choice, load_space, parse_space, trial_config
    from pipeline.sweep import most_general

    loaded = parse_space(space) if isinstance(space, dict) else load_space(Path(space))
    values = dict(_dotted(overrides))
    if group is not None:
        values["candidate_group"] = group if isinstance(group, str) else group.name
    dimension = loaded.dimensions().get("candidate_group")
    if "candidate_group" not in values and isinstance(dimension, Choice):
        values["candidate_group"] = most_general([str(c) for c in dimension.choices])
    if group is not None and not isinstance(group, str):
        values.pop("candidate_group")  # a Group object: tested as given, not by name
    return trial_config(loaded, {"device": "cpu", **values})


def _dotted(overrides: dict[str, Any]) -> dict[str, Any]:
    """``dataset={"limit": 500}`` -> ``dataset.limit=500``, as ``--set`` spells it."""
    flat: dict[str, Any] = {}
    for key, value in overrides.items():
        if key in ("dataset", "model") and isinstance(value, dict):
            flat.update({f"{key}.{option}": v for option, v in value.items()})
        else:
            flat[key] = value
    return flat


def _dataset(config: Any) -> Any:
    from pipeline.data import DatasetError, build_dataset

    try:
        return build_dataset(config.dataset, config.data_seed)
    except DatasetError as error:
        raise SpaceError(f"dataset: {error}") from None


def _group(candidate: Any, dataset: Any) -> Any:
    from pipeline.groups import Group
    from pipeline.trial import check_candidate

    if isinstance(candidate, Group):
        return candidate
    if candidate is None:
        raise SpaceError("detect: name the group to test (group=...), e.g. 'affine2'")
    return check_candidate(str(candidate), dataset)


def _detect(
    dataset: Any,
    data_seed: int,
    spec: dict[str, Any],
    group: Any,
    test_seed: int,
    repeats: int,
    started: float,
) -> Detection:
    from pipeline.discovery import data_test_id, run_data_test

    if group.learnable or not group.generator_names():
        raise SpaceError(
            f"candidate_group: {group.name} has no generators to test before "
            "training (name a catalog group such as affine2)"
        )
    seeds = [test_seed + r for r in range(repeats)]
    test = run_data_test(dataset, group, seeds, data_test_id(spec, data_seed, group.name, seeds))
    consensus = test.consensus()
    rows = test.rows(dataset, data_seed, group)
    generators = [_generator(name, consensus[name], rows, test) for name in test.generators()]
    return Detection(
        dataset.name,
        group.name,
        test.discovered_group(group),
        generators,
        repeats,
        time.perf_counter() - started,
    )


def _generator(
    name: str, columns: dict[str, Any], rows: list[dict[str, Any]], test: Any
) -> dict[str, Any]:
    own = [row for row in rows if row["generator"] == name]
    undecided = columns["test_note"] is not None
    verdict = "undecided" if undecided else ("present" if columns["present"] else "absent")
    agreeing = sum(bool(row["present"]) == bool(columns["present"]) for row in own)
    return {
        "generator": name,
        "verdict": verdict,
        "present": None if undecided else bool(columns["present"]),
        "p_value": columns["p_value"],
        "extent": columns["extent"],
        "unit": columns["extent_unit"],
        "magnitudes": own[0]["magnitudes"],
        "tv": own[0]["tv"] if len(own) == 1 else _mean_curve([row["tv"] for row in own]),
        "agreement": agreeing / len(own),
        "note": columns["test_note"],
        "matrix": test.matrices.get(name),
        "matrix_dim": test.matrix_dim,
    }


def _mean_curve(curves: list[list[float]]) -> list[float]:
    return [sum(values) / len(values) for values in zip(*curves, strict=True)]
