"""The dataset contract: what every built-in or user-provided dataset declares and carries."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from pipeline._util.text import did_you_mean
from pipeline.actions import act
from pipeline.errors import SymsearchError
from pipeline.groups import Group, UnknownGroupError, get_group
from pipeline.kinds import is_kind, kind_names, kind_record

TASKS = ("classification", "regression", "generation")
MODES = ("max", "min")
SPLIT_FRACTIONS = (0.6, 0.2, 0.2)  # train, val, test


class DatasetError(SymsearchError):
    """A dataset that cannot be built as asked; the message names the offending field."""


@dataclass(frozen=True)
class Split:
    """Inputs (N, ...) and targets (N, ...) of one split."""

    inputs: Tensor
    targets: Tensor

    def __post_init__(self) -> None:
        if len(self.inputs) != len(self.targets):
            raise DatasetError(
                f"split has {len(self.inputs)} inputs but {len(self.targets)} targets"
            )

    def __len__(self) -> int:
        return len(self.inputs)


@dataclass(frozen=True)
class Preprocess:
    """How raw inputs of the dataset's kind (what a user has in hand: scikit-learn's 8x8 digit
    images) become the inputs the network was trained on. ``function`` maps a batch of raw
    examples ``(N, *raw_shape)`` to ``(N, *input shape)``; ``raw`` says what a raw example is."""

    raw_shape: tuple[int, ...]
    function: Callable[[Tensor], Tensor]
    raw: str = ""


@dataclass(frozen=True)
class Dataset:
    """A dataset with a known symmetry.

    Attributes:
        name: registry name (or the factory path for user datasets).
        kind: data kind of the inputs: image, points, sequence, lattice or a registered one
            (``pipeline.kinds``).
        task: classification, regression or generation.
        metric / metric_mode: the metric trials report and whether larger (max) or smaller
            (min) is better.
        true_group: catalog name of the symmetry built into the data (``trivial`` for none).
        train / val / test: the splits.
        target_kind: data kind of the targets when the group moves them too (equivariant
            tasks); None when targets are invariant (labels, energies).
        num_classes: for classification.
        options: the options the dataset was built with (for the store and for display).
        support: how far the data already extend along a shift generator, in the robustness
            grid's unit (``{"rot": 45.0}``: rotated within +-45 degrees). Shifts up to it are
            in support; generators of the true group not named here are in support all along.
        preprocess: how raw inputs become the network's inputs (``Preprocess``); None where
            the inputs are raw already (the predictor then takes examples of the inputs' shape).
    """

    name: str
    kind: str
    task: str
    metric: str
    metric_mode: str
    true_group: str
    train: Split
    val: Split
    test: Split
    target_kind: str | None = None
    num_classes: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    support: Mapping[str, float] = field(default_factory=dict)
    preprocess: Preprocess | None = None

    def __post_init__(self) -> None:
        kinds = ", ".join(kind_names())
        _require(is_kind(self.kind), f"kind must be one of {kinds}, got {self.kind!r}")
        _require(self.task in TASKS, f"task must be one of {', '.join(TASKS)}, got {self.task!r}")
        _require(self.metric_mode in MODES, f"metric_mode must be max or min: {self.metric_mode!r}")
        _require(
            self.target_kind is None or is_kind(self.target_kind),
            f"bad target_kind {self.target_kind!r}",
        )
        try:
            group = self.group()
        except UnknownGroupError as error:
            raise DatasetError(f"true_group: {error}") from None
        _require(self.kind in group.acts_on, f"true_group {group.name} does not act on {self.kind}")
        for name in ("train", "val", "test"):
            _require(isinstance(getattr(self, name), Split), f"{name} must be a Split")

    @classmethod
    def from_tensors(cls, inputs: Tensor, targets: Tensor, seed: int, **metadata: Any) -> Dataset:
        """Split (inputs, targets) 60/20/20 by ``seed`` and attach the metadata fields."""
        train, val, test = make_splits(inputs, targets, seed)
        return cls(train=train, val=val, test=test, **metadata)

    def group(self) -> Group:
        """The true group, placed in the data's space (3D point clouds use 4x4 matrices)."""
        return get_group(self.true_group, learned_domain=self.learned_domain)

    @property
    def learned_domain(self) -> str:
        """Where ``learned<k>`` generators live for this data."""
        return kind_record(self.kind).learned_domain(tuple(self.train.inputs.shape[1:]))

    def act_inputs(self, group: Group, g: Tensor, x: Tensor) -> Tensor:
        return act(group, g, x, self.kind)

    def act_targets(self, group: Group, g: Tensor, y: Tensor) -> Tensor:
        """Targets move with the inputs for equivariant tasks and stay put otherwise."""
        return y if self.target_kind is None else act(group, g, y, self.target_kind)

    def summary(self) -> dict[str, object]:
        return {
            "dataset": self.name,
            "kind": self.kind,
            "task": self.task,
            "metric": f"{self.metric} ({self.metric_mode})",
            "true_group": self.true_group,
            "train/val/test": f"{len(self.train)}/{len(self.val)}/{len(self.test)}",
            "input_shape": tuple(self.train.inputs.shape[1:]),
            "target_shape": tuple(self.train.targets.shape[1:]),
        }


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise DatasetError(message)


def split_indices(n: int, seed: int) -> tuple[Tensor, Tensor, Tensor]:
    """Deterministic train/val/test index sets (60/20/20) from a seed."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_train, n_val = int(SPLIT_FRACTIONS[0] * n), int(SPLIT_FRACTIONS[1] * n)
    return order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]


def make_splits(inputs: Tensor, targets: Tensor, seed: int) -> tuple[Split, Split, Split]:
    train, val, test = split_indices(len(inputs), seed)
    return tuple(Split(inputs[i], targets[i]) for i in (train, val, test))  # type: ignore[return-value]


def parse_options(options_type: type, values: Mapping[str, Any], where: str) -> Any:
    """Build an options dataclass from a mapping; unknown keys and wrong types are errors."""
    known = {f.name: f for f in dataclasses.fields(options_type)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise DatasetError(
            f"{where}: unknown option {unknown[0]!r}{did_you_mean(unknown[0], list(known))} "
            f"(known: {', '.join(sorted(known))})"
        )
    hints = typing.get_type_hints(options_type)
    checked = {key: _checked(f"{where}.{key}", value, hints[key]) for key, value in values.items()}
    try:
        return options_type(**checked)
    except ValueError as error:
        raise DatasetError(f"{where}: {error}") from None


def _checked(where: str, value: Any, expected: Any) -> Any:
    allowed = typing.get_args(expected) if isinstance(expected, types.UnionType) else (expected,)
    if typing.get_origin(expected) is typing.Literal:
        choices = typing.get_args(expected)
        if value not in choices:
            raise DatasetError(f"{where} must be one of {', '.join(map(str, choices))}: {value!r}")
        return value
    if float in allowed and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, bool) and bool not in allowed:
        raise DatasetError(f"{where} must be {_type_names(allowed)}, got {value!r}")
    if not isinstance(value, tuple(a for a in allowed if isinstance(a, type))):
        raise DatasetError(f"{where} must be {_type_names(allowed)}, got {value!r}")
    return value


def _type_names(allowed: tuple[Any, ...]) -> str:
    return " or ".join(getattr(a, "__name__", str(a)) for a in allowed)


def check_range(name: str, value: float, low: float, high: float) -> None:
    """For options' __post_init__: raise ValueError naming the option when out of range."""
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
