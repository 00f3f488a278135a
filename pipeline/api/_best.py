"""The best trial of a sweep: its row, its configuration and a space that reruns it as is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pipeline.sweep import choose_best


@dataclass(frozen=True)
class Best:
    """The best trial: its ``trials`` row, its configuration and the figure that chose it."""

    sweep: str
    trial_id: str
    row: dict[str, Any]
    config: Any  # pipeline.space.TrialConfig
    metric: str
    mode: str
    state: str  # where the trial's saved state lives (the store's _checkpoints/ file)

    @property
    def value(self) -> float:
        return self.row[self.metric]

    def space(self) -> dict[str, Any]:
        """A search space that ``symsearch trial`` (and ``pipeline.space.trial_config``) runs
        as is: every setting fixed under ``trial:``, seeds included, nothing searched."""
        settings = self.config.model_dump()
        dataset, model = settings.pop("dataset"), settings.pop("model")
        return {
            "name": f"{self.sweep}-best",
            "description": f"best trial {self.trial_id} of sweep {self.sweep} by {self.metric}"
            f" ({self.mode}) = {self.value:.6g}; state: {self.state}",
            "dataset": dataset,
            "model": model,
            "trial": settings,
        }


def best_of(
    rows: list[dict[str, Any]],
    sweep: str,
    state: Any,
    metric: str = "val_metric",
    mode: str | None = None,
    space_mode: str | None = None,
) -> Best:
    """``Best`` from a sweep's (latest-attempt) trials rows; ``state(trial_id)``: its location."""
    from pipeline._util.factories import stored_data
    from pipeline.space import make_config

    row, mode = choose_best(rows, metric, mode, space_mode)
    with stored_data(names_only=True):  # a row names factories; reading never imports them
        config = make_config(json.loads(row["config_json"]))
    return Best(sweep, row["trial_id"], row, config, metric, mode, state(row["trial_id"]))
