"""The rows a trial contributes to the store's tables, and the one builder of a ``trials`` row
(``trial_row``): a trial builds its own with it, and a sweep driver builds one with it for a
trial that ended before it could write one (stopped early by the scheduler, or killed). What
only the caller knows (the node, the driver's commit, an unusable saved state) enters through
``RunContext``, never by patching a built row."""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pipeline._util.provenance import provenance
from pipeline.data import Dataset, option_types
from pipeline.space import SEARCHABLE, TrialConfig

if TYPE_CHECKING:
    from pipeline.trial._setup import Setup


@dataclass
class TrialResult:
    """The rows a trial contributes to the store's tables (without sweep/trial_id/attempt)."""

    trial: dict[str, Any]
    epochs: list[dict[str, Any]] = field(default_factory=list)
    discovery: list[dict[str, Any]] = field(default_factory=list)
    robustness: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def dataset_fields(dataset: Dataset) -> dict[str, Any]:
    """The dataset's columns of a ``trials`` row."""
    return {
        "dataset": dataset.name,
        "true_group": dataset.true_group,
        "metric_name": dataset.metric,
        "metric_mode": dataset.metric_mode,
        "val_size": len(dataset.val),
        **dataset_params(dataset.options),
    }


def dataset_params(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options a dataset was built with, as ``params_dataset_<option>`` columns: those the
    built-in datasets declare, where the value has the option's type (a factory's own options,
    or values of another type, stay in config_json only)."""
    types = option_types()
    found = {}
    for name, value in options.items():
        expected = types.get(name)
        fits = expected is not None and type(value) is expected
        if expected is float and type(value) is int:
            value, fits = float(value), True
        if fits:
            found[f"{PARAMS_PREFIX}dataset_{name}"] = value
    return found


RESTARTED = "saved state unusable ({}); restarted from epoch 1"


@dataclass(frozen=True)
class RunContext:
    """Where and how a trial ran, as its caller knows it (a sweep's worker or driver); the
    defaults are a trial run here, in-process."""

    node: str | None = None  # the node that ran it (Ray's node); None: this machine
    git_commit: str | None = None  # the commit a sweep's driver launched from (its workers run
    # in other folders); None: this working directory's
    restarted: str | None = None  # why a saved state was unusable: the trial restarted from its
    # first epoch, and its ``error`` says so unless it failed for a reason of its own


def trial_row(
    config: TrialConfig,
    dataset: dict[str, Any],
    status: str,
    error: str | None,
    epochs_done: int,
    val_metric: float | None,
    train_seconds: float,
    device: str,
    *,
    robustness: float | None = None,
    context: RunContext | None = None,
) -> dict[str, Any]:
    """A ``trials`` row before evaluation: the configuration, the status, the last epoch
    (``robustness``: its latest per-epoch score), and where it ran (``context``)."""
    context = context if context is not None else RunContext()
    if error is None and context.restarted is not None:
        error = RESTARTED.format(context.restarted)
    return {
        "status": status,
        "error": error,
        **dataset,
        "candidate_group": config.candidate_group,
        "prior": config.prior,
        "init_width": config.init_width,
        "reg": config.reg,
        "tolerance": config.tolerance,
        "n_samples": None,
        "tolerance_met": None,
        "symmetry_breaking": config.symmetry_breaking,
        "lr": config.lr,
        "seed": config.seed,
        "epochs": epochs_done,
        "val_metric": val_metric,
        "test_metric": None,
        "equivariance_error": None,
        "discovered_group": None,
        "discovery_correct": None,
        "train_seconds": train_seconds,
        "device": device,
        "node": context.node or platform.node(),
        "config_json": config.to_json(),
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        **provenance(device, context.git_commit),
        "robustness": robustness,
        **params_fields(config),
    }


PARAMS_PREFIX = "params_"  # the store's name for a trial setting's column


def params_fields(config: TrialConfig) -> dict[str, Any]:
    """Every trial setting as its own column, ``params_<setting>`` (the value it ran with,
    searched or fixed), so SQL and dataframes filter and group by it without config_json."""
    return {PARAMS_PREFIX + name: getattr(config, name) for name in SEARCHABLE}


def setup_row(
    setup: Setup, status: str, error: str | None, epochs: list[dict[str, Any]], train_seconds: float
) -> dict[str, Any]:
    """The ``trials`` row of a built trial (``setup.context``: where it ran)."""
    return trial_row(
        setup.config,
        dataset_fields(setup.dataset),
        status,
        error,
        len(epochs),
        epochs[-1]["val_metric"] if epochs else None,
        train_seconds,
        setup.device.type,
        robustness=last_robustness(epochs),
        context=setup.context,
    )


def last_robustness(epochs: list[dict[str, Any]]) -> float | None:
    """The trial's latest per-epoch robustness score (None where none was computed)."""
    scores = [e["robustness"] for e in epochs if e.get("robustness") is not None]
    return scores[-1] if scores else None
