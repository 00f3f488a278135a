"""The rows a trial contributes to the store's tables, and the ``trials`` row itself
(``trial_row``), which a sweep driver builds too, for trials that ended before they could write
one (stopped early by the scheduler, or killed)."""

from __future__ import annotations

import datetime as dt
import platform
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pipeline._util.provenance import provenance
from pipeline.data import Dataset
from pipeline.space import TrialConfig

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
    }


def trial_row(
    config: TrialConfig,
    dataset: dict[str, Any],
    status: str,
    error: str | None,
    epochs_done: int,
    val_metric: float | None,
    train_seconds: float,
    device: str,
) -> dict[str, Any]:
    """A ``trials`` row before evaluation: the configuration, the status and the last epoch."""
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
        "node": platform.node(),
        "config_json": config.to_json(),
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        **provenance(device),
    }


def setup_row(
    setup: Setup, status: str, error: str | None, epochs: list[dict[str, Any]], train_seconds: float
) -> dict[str, Any]:
    last = epochs[-1]["val_metric"] if epochs else None
    row = trial_row(
        setup.config,
        dataset_fields(setup.dataset),
        status,
        error,
        len(epochs),
        last,
        train_seconds,
        setup.device.type,
    )
    return {**row, "robustness": last_robustness(epochs)}


def last_robustness(epochs: list[dict[str, Any]]) -> float | None:
    """The trial's latest per-epoch robustness score (None where none was computed)."""
    scores = [e["robustness"] for e in epochs if e.get("robustness") is not None]
    return scores[-1] if scores else None
