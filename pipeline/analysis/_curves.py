"""Curves over time: the learning curve (validation metric per epoch) and the normalized width
of each generator per epoch, of each candidate's best trial and of the discovery strategy's
probe (drawn as a probe, never as a candidate); and the data test's TV curves with their extent.

The tables are small (a few trials' epochs, a row per grid step of each repeat); the figures are
described once (``Figure``) and drawn twice: PNG for report.md, plotly for report.html
(``_curve_plots``), so both reports show the same traces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.analysis._load import load_table
from pipeline.analysis._summaries import best_trials, probe_ids
from pipeline.store import Location

PROBE, BEST = "probe", "best"
ACTIVE = 0.5  # a normalized width from which a generator reads active
CURVE_COLUMNS = ["val_metric", "normalized_widths"]  # the epochs' columns the curves draw


@dataclass
class Trace:
    name: str
    x: list[float]
    y: list[float]
    kind: str = "candidate"  # candidate | probe | extent | level
    legend: bool = True
    color: str | None = None  # one colour per candidate (or repeat) across panels


PALETTE = [  # matplotlib's tab10
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]


def colour(names: list[str], name: str) -> str:
    return PALETTE[sorted(set(names)).index(name) % len(PALETTE)]


@dataclass
class Panel:
    title: str
    traces: list[Trace] = field(default_factory=list)


@dataclass
class Figure:
    key: str  # the PNG's stem and the HTML element's id
    title: str
    xlabel: str
    ylabel: str
    panels: list[Panel]
    log_x: bool = False


def curve_trials(trials: Any) -> Any:
    """The trials whose epochs are drawn: each candidate's best trial, then the probe(s), with
    their ``role`` (best | probe)."""
    import pandas as pd

    best = best_trials(trials).reset_index()[["trial_id", "candidate_group"]]
    probes = trials[trials["trial_id"].isin(probe_ids(trials))][["trial_id", "candidate_group"]]
    return pd.concat(
        [best.assign(role=BEST), probes.assign(role=PROBE)], ignore_index=True
    ).drop_duplicates("trial_id")


def plan_curves(trials: Any, location: Location, sweep: str) -> Any:
    """The drawn trials' epoch rows (a Dask DataFrame, filtered before it is read into memory).
    The widths stay lists: Dask would otherwise turn the column into strings."""
    import dask

    ids = list(curve_trials(trials)["trial_id"])
    with dask.config.set({"dataframe.convert-string": False}):
        epochs = load_table(location, "epochs", sweep, columns=CURVE_COLUMNS)
        return epochs[epochs["trial_id"].isin(ids)]


def learning_curves(trials: Any, epochs: Any) -> Any:
    """trial_id, candidate_group, role, epoch, val_metric: one row per drawn trial and epoch."""
    rows = curve_trials(trials).merge(epochs[["trial_id", "epoch", "val_metric"]], on="trial_id")
    rows = rows.astype({"epoch": "int64", "val_metric": "float64"})
    return rows.sort_values(["role", "candidate_group", "epoch"]).reset_index(drop=True)


def width_curves(trials: Any, epochs: Any) -> Any:
    """trial_id, candidate_group, role, generator, epoch, normalized_width."""
    import pandas as pd

    rows = []
    drawn = curve_trials(trials).merge(epochs[["trial_id", "epoch", "normalized_widths"]])
    for row in drawn.itertuples():
        widths = _values(row.normalized_widths)  # NA where an epoch stored none
        names = generator_names(row.candidate_group, len(widths))
        for name, width in zip(names, widths, strict=True):
            rows.append(
                {
                    "trial_id": row.trial_id,
                    "candidate_group": row.candidate_group,
                    "role": row.role,
                    "generator": name,
                    "epoch": int(row.epoch),
                    "normalized_width": float(width),
                }
            )
    columns = ["trial_id", "candidate_group", "role", "generator", "epoch", "normalized_width"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["generator", "role", "candidate_group", "epoch"], ignore_index=True)


def generator_names(candidate: str, count: int) -> list[str]:
    """The candidate's generators in the order a trial stores its widths (g0, g1, ... where the
    group cannot be rebuilt here, e.g. a user's group from a factory)."""
    from pipeline.groups import get_group

    try:
        names = list(get_group(candidate).generator_names())
    except (KeyError, ValueError):
        names = []
    return names if len(names) == count else [f"g{i}" for i in range(count)]


def _values(stored: Any) -> list[float]:
    """A stored list (an array, a list, or null) as floats."""
    return [] if stored is None or not hasattr(stored, "__len__") else [float(v) for v in stored]


def tv_curves(tests: Any) -> Any:
    """The data test's TV curves: one row per (test, repeat, generator, grid step), with the
    repeat's extent and verdict."""
    import pandas as pd

    rows = []
    for row in tests.to_dict("records"):
        for magnitude, tv in zip(_values(row["magnitudes"]), _values(row["tv"]), strict=False):
            rows.append(
                {
                    "test_id": row["trial_id"],
                    "candidate_group": row["candidate_group"],
                    "test_seed": int(row["test_seed"]),
                    "generator": row["generator"],
                    "magnitude": float(magnitude),
                    "tv": float(tv),
                    "extent": row["extent"],
                    "extent_unit": row["extent_unit"],
                    "present": row["present"],
                }
            )
    columns = ["test_id", "candidate_group", "test_seed", "generator", "magnitude", "tv"]
    frame = pd.DataFrame(rows, columns=[*columns, "extent", "extent_unit", "present"])
    return frame.astype({"extent": "float64"})


# -- the figures ------------------------------------------------------------------------------


def _role_trace(rows: Any, column: str, candidates: list[str]) -> Trace:
    first = rows.iloc[0]
    x, y = [int(e) for e in rows["epoch"]], [float(v) for v in rows[column]]
    if first["role"] == PROBE:
        return Trace(f"probe ({first['candidate_group']}, not a candidate)", x, y, PROBE)
    name = str(first["candidate_group"])
    return Trace(name, x, y, color=colour(candidates, name))


def learning_figure(curves: Any, metric_name: str) -> Figure | None:
    """One trace per candidate (its best trial) and the probe, marked as one."""
    if curves is None or curves.empty:
        return None
    names = [str(c) for c in curves["candidate_group"]]
    traces = [
        _role_trace(rows.sort_values("epoch"), "val_metric", names)
        for _, rows in curves.groupby(["role", "candidate_group", "trial_id"], sort=True)
    ]
    return Figure(
        "learning_curves",
        "Learning curves: the best trial of each candidate group",
        "epoch",
        f"validation {metric_name}",
        [Panel("", traces)],
    )


def width_figure(curves: Any) -> Figure | None:
    """A panel per generator: the normalized width per epoch of each candidate that has it."""
    if curves is None or curves.empty:
        return None
    panels, names = [], [str(c) for c in curves["candidate_group"]]
    for generator, along in curves.groupby("generator", sort=True):
        traces = [
            _role_trace(rows.sort_values("epoch"), "normalized_width", names)
            for _, rows in along.groupby(["role", "candidate_group", "trial_id"], sort=True)
        ]
        epochs = [float(along["epoch"].min()), float(along["epoch"].max())]
        traces.append(Trace(f"active from {ACTIVE}", epochs, [ACTIVE, ACTIVE], "level", False))
        panels.append(Panel(str(generator), traces))
    return Figure(
        "width_curves",
        "Learned width per generator over epochs",
        "epoch",
        "normalized width",
        panels,
    )


def tv_figure(curves: Any) -> Figure | None:
    """A panel per generator: each repeat's TV curve, its extent marked by a vertical line."""
    if curves is None or curves.empty:
        return None
    panels = []
    pairs = zip(curves["candidate_group"], curves["test_seed"], strict=True)
    repeats = [f"{candidate}, repeat {seed}" for candidate, seed in pairs]
    for generator, along in curves.groupby("generator", sort=True):
        traces = []
        for (candidate, seed), rows in along.groupby(["candidate_group", "test_seed"], sort=True):
            rows = rows.sort_values("magnitude")
            first = rows.iloc[0]
            label = f"{candidate}, repeat {seed}"
            verdict = {True: "present", False: "absent"}.get(first["present"], "-")
            tint = colour(repeats, label)
            x, y = [float(m) for m in rows["magnitude"]], [float(v) for v in rows["tv"]]
            traces.append(Trace(f"{label} ({verdict})", x, y, color=tint))
            if first["extent"] == first["extent"]:  # not NaN
                unit = first["extent_unit"] if isinstance(first["extent_unit"], str) else ""
                extent = float(first["extent"])
                traces.append(
                    Trace(
                        f"extent {extent:.4g} {unit} ({label})",
                        [extent] * 2,
                        [0.0, 1.0],
                        "extent",
                        color=tint,
                    )
                )
        unit = along["extent_unit"].dropna()
        panels.append(
            Panel(f"{generator} ({unit.iloc[0]})" if len(unit) else str(generator), traces)
        )
    return Figure(
        "tv_curves",
        "The data test: total variation between the data and the data moved, per step",
        "magnitude of the move",
        "TV (0: indistinguishable)",
        panels,
    )


def curve_figures(tables: dict[str, Any], metric_name: str) -> list[Figure]:
    drawn = [
        learning_figure(tables.get("learning_curves"), metric_name),
        width_figure(tables.get("width_curves")),
        tv_figure(tables.get("tv_curves")),
    ]
    return [figure for figure in drawn if figure is not None]
