"""A trial's final figures for the trackers: what the trainable reports with its last epoch
(imported by the trainable on every worker, so it imports nothing of the trackers)."""

from __future__ import annotations

from typing import Any


def final_figures(
    discovery: list[dict[str, Any]], robustness: list[dict[str, Any]]
) -> dict[str, Any]:
    """A trial's discovery and robustness rows as a few numbers a tracker can chart:
    per generator its normalized width and whether it is active; per shift (and plain or
    averaged prediction) the mean metric in and out of the training support and the worst."""
    figures: dict[str, Any] = {}
    for row in discovery:
        key = f"discovery/{row['generator']}"
        figures[f"{key}/normalized_width"] = row["normalized_width"]
        figures[f"{key}/active"] = float(bool(row["active"]))
        if row.get("present") is not None:  # the data test's verdict, where it decided
            figures[f"{key}/present"] = float(bool(row["present"]))
        for column in ("p_value", "extent"):
            if row.get(column) is not None:
                figures[f"{key}/{column}"] = row[column]
    curves: dict[str, list[dict[str, Any]]] = {}
    for row in robustness:
        averaged = "averaged" if row["averaged"] else "plain"
        curves.setdefault(f"robustness/{row['shift']}/{averaged}", []).append(row)
    for key, rows in curves.items():
        metrics = [r["metric"] for r in rows if r["metric"] is not None]
        for part, inside in (("in_support", True), ("out_of_support", False)):
            values = [
                r["metric"]
                for r in rows
                if r["metric"] is not None and r.get("in_support") is inside
            ]
            if values:
                figures[f"{key}/{part}"] = sum(values) / len(values)
        if metrics:
            figures[f"{key}/worst"] = min(metrics)
    return figures
