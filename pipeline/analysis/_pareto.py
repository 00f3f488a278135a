"""The Pareto front of accuracy against robustness: which trials no other trial beats on both.

A trial is on the front when it ended (``completed``) with both objectives and no other such
trial is at least as good on both and better on one. Directions: the validation metric's own
(``metric_mode``); robustness is the validation metric on moved data, so the same direction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FRONT_COLUMNS = [
    "trial_id",
    "candidate_group",
    "discovered_group",
    "val_metric",
    "robustness",
    "test_metric",
    "lr",
    "reg",
    "on_front",
]


def pareto_front(trials: Any, mode: str = "max") -> Any:
    """The completed trials with both objectives, each marked ``on_front``, front first (by
    validation metric, best first). Empty where no trial reported robustness."""
    import pandas as pd

    if "robustness" not in trials.columns:
        return pd.DataFrame(columns=FRONT_COLUMNS)
    ended = trials[
        (trials["status"] == "completed")
        & trials["val_metric"].notna()
        & trials["robustness"].notna()
    ].copy()
    sign = 1.0 if mode == "max" else -1.0
    points = list(zip(sign * ended["val_metric"], sign * ended["robustness"], strict=True))
    ended["on_front"] = [not any(_dominates(other, point) for other in points) for point in points]
    ended = ended.sort_values(["on_front", "val_metric"], ascending=[False, mode != "max"])
    return ended[[c for c in FRONT_COLUMNS if c in ended.columns]].reset_index(drop=True)


def _dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] >= b[0] and a[1] >= b[1] and (a[0] > b[0] or a[1] > b[1])


def pareto_plot(front: Any, metric_name: str, path: Path) -> Path:
    """Validation metric against robustness for every trial; the front highlighted."""
    from pipeline.analysis._plots import _pyplot, _save

    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5.5, 4.2))
    rest = front[~front["on_front"].astype(bool)] if len(front) else front
    best = front[front["on_front"].astype(bool)].sort_values("val_metric") if len(front) else front
    axis.scatter(
        rest.get("val_metric", []), rest.get("robustness", []), s=18, color="0.6", label="dominated"
    )
    axis.plot(
        best.get("val_metric", []),
        best.get("robustness", []),
        "o-",
        color="C3",
        label="Pareto front",
    )
    for row in best.itertuples():
        axis.annotate(
            str(row.candidate_group),
            (row.val_metric, row.robustness),
            fontsize=7,
            xytext=(3, 3),
            textcoords="offset points",
        )
    axis.set(
        title="accuracy against robustness",
        xlabel=f"validation {metric_name}",
        ylabel="robustness (validation metric, moved data)",
    )
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    return _save(figure, path)
