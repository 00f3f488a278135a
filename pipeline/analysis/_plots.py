"""PNG plots of the summaries (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def robustness_plot(curves: Any, metric_name: str, path: Path) -> Path:
    """Best trial of each candidate along each shift of the true group, plain and averaged."""
    plt = _pyplot()
    true_curves = curves[curves["source"] == "true"]
    shifts = sorted(true_curves["shift"].unique()) or ["(none)"]
    figure, axes = plt.subplots(1, len(shifts), figsize=(5 * len(shifts), 3.8), squeeze=False)
    for axis, shift in zip(axes[0], shifts, strict=True):
        along = true_curves[true_curves["shift"] == shift]
        for (candidate, averaged), curve in along.groupby(["candidate_group", "averaged"]):
            curve = curve.sort_values("magnitude")
            style = "-" if averaged else "--"
            label = f"{candidate} ({'averaged' if averaged else 'plain'})"
            axis.plot(
                curve["magnitude"],
                curve["best_trial_metric"],
                style,
                marker="o",
                markersize=3,
                label=label,
            )
        unit = along["unit"].iloc[0] if len(along) else ""
        axis.set(title=f"shift along {shift}", xlabel=f"magnitude ({unit})", ylabel=metric_name)
        axis.grid(alpha=0.3)
        if len(along):
            axis.legend(fontsize=7)
    return _save(figure, path)


def widths_plot(widths: Any, path: Path) -> Path:
    """Mean normalized width per candidate group (rows) and generator (columns)."""
    plt = _pyplot()
    table = widths.pivot_table(
        index="candidate_group", columns="generator", values="mean_normalized_width", aggfunc="mean"
    )
    figure, axis = plt.subplots(
        figsize=(1.2 * max(3, table.shape[1]) + 2, 0.6 * max(2, table.shape[0]) + 1.5)
    )
    image = axis.imshow(table.to_numpy(dtype=float), cmap="viridis", aspect="auto", vmin=0)
    axis.set_xticks(range(table.shape[1]), table.columns, rotation=45, ha="right")
    axis.set_yticks(range(table.shape[0]), table.index)
    for (i, j), value in _cells(table):
        axis.text(j, i, f"{value:.2f}", ha="center", va="center", color="white", fontsize=8)
    axis.set_title("mean normalized width (>= 0.5: active)")
    figure.colorbar(image, ax=axis)
    return _save(figure, path)


def _cells(table: Any) -> list[tuple[tuple[int, int], float]]:
    values = table.to_numpy(dtype=float)
    return [
        ((i, j), values[i, j])
        for i in range(values.shape[0])
        for j in range(values.shape[1])
        if values[i, j] == values[i, j]
    ]


def tolerance_plot(tolerance: Any, path: Path) -> Path:
    """Equivariance error and wall cost of evaluation against the tolerance, per candidate."""
    plt = _pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for candidate, rows in tolerance.groupby("candidate_group"):
        rows = rows.assign(eps=rows["tolerance"].fillna(-1.0)).sort_values("eps")
        labels = ["learned" if e < 0 else f"{e:g}" for e in rows["eps"]]
        left.plot(labels, rows["equivariance_error"], marker="o", label=candidate)
        right.plot(labels, rows["eval_seconds"], marker="o", label=candidate)
    left.set(title="equivariance error (h vs f)", xlabel="tolerance", ylabel="weak ratio")
    right.set(title="evaluation cost", xlabel="tolerance", ylabel="seconds")
    for axis in (left, right):
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    return _save(figure, path)


def best_so_far_plot(search: Any, metric_name: str, path: Path) -> Path:
    plt = _pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    left.step(search["trial_number"], search["best_so_far"], where="post")
    probe = search["role"] == "probe" if "role" in search else search["trial_number"] < 0
    left.scatter(search["trial_number"][~probe], search["val_metric"][~probe], s=10, alpha=0.6)
    if probe.any():  # the discovery strategy's probe: a trial that reads the data, no candidate
        left.scatter(
            search["trial_number"][probe],
            search["val_metric"][probe],
            marker="X",
            s=60,
            color="black",
            label="probe (not a candidate)",
        )
        left.legend(fontsize=7)
    left.set(title="best so far", xlabel="trials finished", ylabel=f"validation {metric_name}")
    right.step(search["cumulative_epochs"], search["best_so_far"], where="post")
    right.set(title="best so far", xlabel="trial-epochs spent", ylabel=f"validation {metric_name}")
    for axis in (left, right):
        axis.grid(alpha=0.3)
    return _save(figure, path)


def _save(figure: Any, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    _pyplot().close(figure)
    return path
