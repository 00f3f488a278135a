"""Plots of a sweep's Optuna study: parameter importances and Optuna's parallel coordinates
(optuna.visualization.matplotlib: PNG, so the report needs no JavaScript library)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from pipeline.analysis._plots import _pyplot


def study_plots(
    study: Any, why: str | None, out: Path, importances: Any = None
) -> tuple[list[Path], str | None]:
    """``param_importances.png`` (from the importances table already computed, so plot and table
    agree: fANOVA is random) and Optuna's ``parallel_coordinate.png`` under ``out``, or why
    there are none. ``study``, ``why``: ``load_study``'s answer."""
    if study is None:
        return [], why
    import optuna

    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if len(done) < 2:
        return [], f"not available ({len(done)} completed trial(s) in the study)"
    plots = []
    if importances is not None and len(importances):
        plots.append(_importances(importances, out / "param_importances.png"))
    try:
        plots.append(_parallel(study, out / "parallel_coordinate.png"))
    except (ValueError, RuntimeError, ZeroDivisionError) as error:
        return plots, f"parallel coordinates: not available ({error})"
    return plots, None


def _importances(table: Any, path: Path) -> Path:
    """Optuna's importance chart (horizontal bars, largest on top), from its numbers."""
    plt = _pyplot()
    table = table.sort_values("importance")
    _, axis = plt.subplots()
    axis.barh(table["parameter"], table["importance"], color="tab:blue")
    for y, value in enumerate(table["importance"]):
        axis.text(value, y, f" {value:.2f}", va="center", fontsize=8)
    axis.set(title="Hyperparameter importances (Optuna, fANOVA)", xlabel="importance")
    return _save(axis, path)


def _parallel(study: Any, path: Path) -> Path:
    from optuna.visualization.matplotlib import plot_parallel_coordinate

    _pyplot()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        axis = plot_parallel_coordinate(study)
    return _save(axis, path)


def _save(axis: Any, path: Path) -> Path:
    figure = axis.figure
    figure.set_size_inches(9, 4.5)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    _pyplot().close(figure)
    return path
