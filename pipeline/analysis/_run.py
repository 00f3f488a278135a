"""``analyze``: read a sweep with Dask, compute every summary, write tables, plots and the
report (report.md and the self-contained report.html)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.analysis._curves import learning_curves, plan_curves, tv_curves, width_curves
from pipeline.analysis._evidence import (
    candidate_summary,
    data_verdict,
    encoding_effect,
    test_verdicts,
)
from pipeline.analysis._load import load_table
from pipeline.analysis._pareto import pareto_front, pareto_plot
from pipeline.analysis._summaries import (
    finish_discovery,
    finish_robustness,
    load_study,
    metric_mode,
    param_importances,
    plan_discovery,
    plan_epochs,
    plan_robustness,
    search_summary,
    sweep_verdict,
    tolerance_summary,
)
from pipeline.analysis._verdict import generator_verdicts, plan_verdict
from pipeline.errors import SymsearchError
from pipeline.store import Location, read_table

Say = Callable[[str], None]


class AnalysisError(SymsearchError):
    """Nothing to analyse, or a Dask cluster that cannot be reached; one line for the user."""


@dataclass
class Analysis:
    out: Path
    verdict: dict[str, Any]
    tables: dict[str, Any]
    plots: list[Path] = field(default_factory=list)
    report: Path | None = None
    sentence: str = ""  # the discovered symmetry, in one sentence
    verdict_table: str = ""  # the per-generator verdict, as a plain text table


def analyze(
    location: Location,
    sweep: str,
    out: Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    study: str | Path | None = None,
    say: Say | None = None,
    dashboard: bool = False,
) -> Analysis:
    """Every summary of one sweep, written under ``out``: Parquet + CSV, PNGs, report.md and
    report.html. ``study``: the sweep's Optuna study (a storage URL or a SQLite file), for
    the parameter importances."""
    say = say or (lambda message: print(message, file=sys.stderr))
    with dask_scheduler(scheduler, workers, say, dashboard) as progress:
        tables, verdict = _compute(location, sweep, say, progress)
    loaded = load_study(study, sweep)  # once: it may be a database across the network
    tables["param_importances"], importance_note = param_importances(*loaded)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
        frame.to_csv(out / f"{name}.csv", index=False)
    metric_name = _metric_name(tables)
    say(f"plotting into {out}")
    plots = _plots(tables, metric_name, out)
    from pipeline.analysis._html import write_html_report
    from pipeline.analysis._report import (
        text_table,
        verdict_display,
        verdict_sentence,
        write_report,
    )
    from pipeline.analysis._study_plots import study_plots

    extra, study_note = study_plots(*loaded, out, tables["param_importances"])
    notes = {"importances": importance_note, "study_plots": study_note}
    notes = {key: note for key, note in notes.items() if note}
    report = write_report(
        out / "report.md", sweep, location.url, verdict, tables, notes, metric_name, extra
    )
    write_html_report(
        out / "report.html", sweep, location.url, verdict, tables, notes, metric_name, extra
    )
    plots += extra
    return Analysis(
        out,
        verdict,
        tables,
        plots,
        report,
        verdict_sentence(verdict, metric_name),
        text_table(verdict_display(tables["generator_verdicts"])),
    )


def _compute(location: Location, sweep: str, say: Say, progress: Any) -> tuple[dict, dict]:
    import dask

    say(f"reading the trials of sweep {sweep!r} from {location.url}")
    trials = load_table(location, "trials", sweep).compute()
    if trials.empty:
        from pipeline._util.text import name_hint
        from pipeline.store import sweeps_in

        names = sweeps_in(location)
        raise AnalysisError(
            f"sweep {sweep!r} has no trials in {location.url}{name_hint(sweep, names)}"
        )
    discovery = load_table(location, "discovery", sweep)  # read once for both plans
    plans = {
        "discovery": plan_discovery(trials, discovery),
        "verdict": plan_verdict(trials, discovery),
        "robustness": plan_robustness(trials, load_table(location, "robustness", sweep)),
        "epochs": plan_epochs(load_table(location, "epochs", sweep, columns=[])),
        "curves": plan_curves(trials, location, sweep),
    }
    say("computing discovery, robustness and search summaries")
    with progress():
        (computed,) = dask.compute(plans)
    discovery_summary, discovery_widths = finish_discovery(trials, computed["discovery"])
    curves, robustness = finish_robustness(trials, computed["robustness"])
    tests = read_table(location, "data_tests", sweep).to_pandas()  # small: a row per generator
    verdicts = (
        test_verdicts(tests, computed["verdict"], trials)
        if not tests.empty
        else generator_verdicts(trials, computed["verdict"])
    )
    candidates = candidate_summary(trials)
    tables = {
        "generator_verdicts": verdicts,
        "candidate_summary": candidates,
        "discovery_summary": discovery_summary,
        "discovery_widths": discovery_widths,
        "robustness_curves": curves,
        "robustness_summary": robustness,
        "tolerance_summary": tolerance_summary(trials),
        "search_summary": search_summary(trials, computed["epochs"]),
        "pareto_front": pareto_front(trials, metric_mode(trials)),
        "learning_curves": learning_curves(trials, computed["curves"]),
        "width_curves": width_curves(trials, computed["curves"]),
        "tv_curves": tv_curves(tests),
        "trials": trials,
    }
    return tables, _headline(trials, tests, verdicts, candidates)


def _headline(trials: Any, tests: Any, verdicts: Any, candidates: Any) -> dict[str, Any]:
    """The report's first sentence: the data test's answer where one ran (the trials' widths
    only where none did), then what served the task."""
    task = sweep_verdict(trials)
    true_groups = trials["true_group"].dropna().unique()
    data = (
        data_verdict(verdicts, tests, str(true_groups[0]) if len(true_groups) else None)
        if not tests.empty
        else None
    )
    if data is None:
        return {**task, "evidence": "widths"}
    mode = metric_mode(trials)
    return {
        **data,
        "evidence": "data test",
        "winner": task.get("winner"),
        "winner_val_metric": task.get("winner_val_metric"),
        "candidates": task.get("candidates", {}),
        "encoding": encoding_effect(candidates, data["discovered_group"], mode),
    }


def _metric_name(tables: dict[str, Any]) -> str:
    names = tables["trials"]["metric_name"].dropna().unique()
    mode = metric_mode(tables["trials"])
    return f"{names[0]} ({'higher' if mode == 'max' else 'lower'} is better)" if len(names) else ""


def _plots(tables: dict[str, Any], metric_name: str, out: Path) -> list[Path]:
    from pipeline.analysis import _plots as plots

    drawn = [
        plots.robustness_plot(tables["robustness_curves"], metric_name, out / "robustness.png"),
        plots.widths_plot(tables["discovery_widths"], out / "widths.png"),
        plots.tolerance_plot(tables["tolerance_summary"], out / "tolerance.png"),
        plots.best_so_far_plot(tables["search_summary"], metric_name, out / "best_so_far.png"),
    ]
    if len(tables["pareto_front"]):  # a sweep that reported robustness (multi-objective)
        drawn.append(pareto_plot(tables["pareto_front"], metric_name, out / "pareto.png"))
    from pipeline.analysis._curve_plots import curve_png
    from pipeline.analysis._curves import curve_figures

    for figure in curve_figures(tables, metric_name):
        drawn.append(curve_png(figure, out / f"{figure.key}.png"))
    return drawn


@contextlib.contextmanager
def dask_scheduler(
    address: str | None, workers: int | None, say: Say, dashboard: bool = False
) -> Iterator[Any]:
    """Threads by default; a running cluster at ``address``; or ``workers`` local processes
    (with ``dashboard``, Dask's dashboard on a free local port; its URL is said). Yields a
    context manager that shows progress while Dask computes."""
    if dashboard:
        check_dask_dashboard(address, workers)
    if address is None and workers is None:
        import dask
        from dask.diagnostics import ProgressBar

        with dask.config.set(scheduler="threads"):
            yield lambda: ProgressBar(out=sys.stderr, minimum=1.0)
        return
    from distributed import Client, LocalCluster

    if address is not None:
        try:
            client = Client(address, timeout="10s")
        except OSError as error:
            raise AnalysisError(f"--scheduler {address}: cannot connect ({error})") from None
        cluster = None
    else:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address="127.0.0.1:0" if dashboard else None,
        )
        client = Client(cluster)
    say(
        f"Dask cluster: {client.scheduler_info()['address']} with "
        f"{len(client.scheduler_info()['workers'])} workers"
    )
    if dashboard:
        say(f"Dask dashboard: {client.dashboard_link}")
    try:
        yield contextlib.nullcontext
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def check_dask_dashboard(address: str | None, workers: int | None) -> None:
    """Dask's dashboard belongs to a cluster and needs bokeh; refused before any work."""
    import importlib.util

    if address is None and workers is None:
        raise AnalysisError(
            "--dashboard: Dask's dashboard needs a cluster (--workers N or "
            "--scheduler ADDR); threads have none"
        )
    if workers is not None and importlib.util.find_spec("bokeh") is None:
        raise AnalysisError(
            "--dashboard: Dask's dashboard needs bokeh; pip install "
            "'symsearch[dashboard]' installs it"
        )
