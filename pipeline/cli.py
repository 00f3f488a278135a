"""The ``symsearch`` command line. Each command is a few lines calling the layers below.

Heavy libraries (torch, ray, dask, duckdb, matplotlib) are imported inside the commands that
need them, so ``symsearch --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from pipeline._text import format_table

if TYPE_CHECKING:  # torch-backed: imported inside the commands that use it
    from pipeline.groups import Group

app = typer.Typer(
    name="symsearch",
    help="Distributed hyperparameter and symmetry search: which symmetries does your data "
    "have, does encoding them help, and how robust is the result under distribution shift?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

StoreOption = Annotated[str | None, typer.Option("--store", help="Result store URL.")]
GROUP_COLUMNS = [
    "name",
    "kind",
    "dim",
    "lie_dim",
    "discrete",
    "order",
    "generators",
    "acts_on",
    "description",
]


def fail(message: str) -> NoReturn:
    """Bad input: one clear line on stderr, exit status 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@app.command()
def groups(
    names: Annotated[
        list[str] | None, typer.Argument(help="Groups to describe, e.g. SO2*flip.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the group catalog (or describe the named groups) with generators and orders."""
    from pipeline.groups import UnknownGroupError, catalog, get_group

    try:
        chosen = [get_group(n) for n in names] if names else catalog()
    except UnknownGroupError as error:
        fail(str(error))
    rows = [g.summary() for g in chosen]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    typer.echo(format_table(rows, GROUP_COLUMNS))
    for group in chosen if names else []:
        typer.echo(f"\n{group.name}: generators")
        typer.echo(format_table(_generator_rows(group)))
    if not names:
        typer.echo(
            "\nFamilies take a number (C<n>, D<n>, S<n>, shift<N>, learned<k>); "
            "combine groups with '*'. Describe one: symsearch groups NAME"
        )


def _generator_rows(group: Group) -> list[dict[str, object]]:
    lie = [
        {"generator": n, "type": "lie", "natural_range": f"{r:.4g}", "order": None}
        for n, r in zip(group.lie_names, group.lie_ranges, strict=True)
    ]
    discrete = [
        {"generator": n, "type": "discrete", "natural_range": None, "order": o}
        for n, o in zip(group.discrete_names, group.generator_orders, strict=True)
    ]
    return lie + discrete


SetOption = Annotated[list[str] | None, typer.Option("--set", help="Option override k=v.")]


@app.command()
def datasets(
    name: Annotated[str | None, typer.Argument(help="Build this dataset and summarize it.")] = None,
    overrides: SetOption = None,
    factory: Annotated[
        str | None, typer.Option("--factory", help="Build package.module:function instead.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the splits.")] = 0,
) -> None:
    """List datasets with kind, task, metric and the true group of each option (or build one)."""
    from pipeline.data import BUILTIN, DatasetError, build_dataset

    if name is None and factory is None:
        typer.echo(format_table(_dataset_rows(BUILTIN)))
        typer.echo("\nBuild one to check it: symsearch datasets NAME [--set key=value ...]")
        return
    spec = {"factory": factory} if factory else {"name": name}
    try:
        spec.update(parse_overrides(overrides or []))
        started = time.perf_counter()
        dataset = build_dataset(spec, seed)
    except DatasetError as error:
        fail(str(error))
    summary = dataset.summary() | {"build_seconds": f"{time.perf_counter() - started:.2f}"}
    typer.echo(format_table([summary]))


def _dataset_rows(builtin: dict) -> list[dict[str, object]]:
    return [
        {"dataset": name, "kind": e.kind, "task": v.task or e.task, "metric": v.metric or e.metric,
         "option": v.option, "true_group": v.true_group, "description": e.description}
        for name, e in builtin.items()
        for v in e.variants
    ]  # fmt: skip


def parse_overrides(pairs: list[str]) -> dict[str, object]:
    """``key=value`` strings to a mapping; values are read as YAML (45 -> int, SO2 -> str)."""
    import yaml

    parsed: dict[str, object] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--set expects key=value, got {pair!r}")
        try:
            parsed[key.strip()] = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            fail(f"--set {key.strip()}: cannot read value {text!r}")
    return parsed


@app.command()
def trial(
    space: Annotated[Path, typer.Argument(help="Search space YAML.")],
    overrides: SetOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    store: StoreOption = None,
    name: Annotated[str, typer.Option("--name", help="Sweep name in the store.")] = "trial",
) -> None:
    """Run one trial in-process (no Ray): searched parameters take --set, else their default."""
    from pipeline.space import load_space, trial_config
    from pipeline.trial import run_trial

    with _user_errors():  # configuration and store errors raise before any training starts
        config = trial_config(load_space(space), parse_overrides(overrides or []))
        writer = _trial_writer(store, name, config.to_json()) if store is not None else None
        progress = _progress(config.epochs)
        result = run_trial(config, report=_recording(progress, writer))
        if writer is not None:
            _record_result(writer, result)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        typer.echo(format_table([_trial_summary(result.trial)]))
    if result.trial["status"] == "failed":
        raise typer.Exit(1)


def _trial_writer(url: str, sweep: str, config_json: str):
    import hashlib

    from pipeline.store import StoreWriter, check_writable, next_attempt, open_store

    location = open_store(url)
    check_writable(location)
    trial_id = "t" + hashlib.sha1(config_json.encode()).hexdigest()[:11]  # same config, same id
    return StoreWriter(location, sweep, trial_id, next_attempt(location, sweep, trial_id))


def _recording(progress, writer):
    """Show each epoch and, with a store, write it there at once (a crash loses at most one)."""

    def report(metrics: dict) -> None:
        progress(metrics)
        if writer is not None:
            writer.add("epochs", metrics)
            writer.flush()

    return report


def _record_result(writer, result) -> None:
    writer.add_result(result)
    typer.echo(f"stored trial {writer.trial_id} attempt {writer.attempt} in {writer.location.url} "
               f"(sweep {writer.sweep})", err=True)  # fmt: skip


def _progress(total: int):
    def show(metrics: dict) -> None:
        widths = " ".join(f"{w:.2f}" for w in metrics["normalized_widths"])
        typer.echo(
            f"epoch {metrics['epoch']:>3}/{total}  loss {metrics['train_loss']:.4f}  "
            f"val {metrics['val_metric']:.4f}  widths [{widths}]  {metrics['seconds']:.1f}s",
            err=True,
        )

    return show


def _trial_summary(row: dict) -> dict[str, object]:
    keys = [
        "status",
        "dataset",
        "candidate_group",
        "metric_name",
        "val_metric",
        "test_metric",
        "discovered_group",
        "discovery_correct",
        "equivariance_error",
        "train_seconds",
        "error",
    ]
    return {k: (f"{row[k]:.4g}" if isinstance(row.get(k), float) else row.get(k)) for k in keys}


VerboseOption = Annotated[
    bool, typer.Option("--verbose", help="Ray's own progress tables and worker logs.")
]


@app.command()
def sweep(
    space: Annotated[Path, typer.Argument(help="Search space YAML.")],
    name: Annotated[str | None, typer.Option("--name", help="Sweep name.")] = None,
    store: StoreOption = None,
    num_samples: Annotated[int | None, typer.Option("--num-samples")] = None,
    max_concurrent: Annotated[int | None, typer.Option("--max-concurrent")] = None,
    cluster: Annotated[
        Path | None, typer.Option("--cluster", help="clusters/X.yaml: address, store, resources.")
    ] = None,
    address: Annotated[
        str | None, typer.Option("--address", help="Join a running Ray cluster (or 'auto').")
    ] = None,
    verbose: VerboseOption = False,
) -> None:
    """Run a sweep on Ray Tune and write every trial to the store."""
    from pipeline.sweep import load_cluster, prepare_sweep, start_sweep

    with _user_errors():
        settings = load_cluster(cluster) if cluster is not None else None
        prepared = prepare_sweep(space, name, store, num_samples, max_concurrent, address,
                                 verbose, settings)  # fmt: skip
        finished = start_sweep(prepared)
    _sweep_report(prepared.record.name, finished)


@app.command()
def resume(
    name: Annotated[str, typer.Argument(help="Sweep name.")],
    num_samples: Annotated[
        int | None, typer.Option("--num-samples", help="Raise the budget.")
    ] = None,
) -> None:
    """Continue an interrupted sweep; --num-samples N raises its budget to N trials."""
    from pipeline.sweep import resume_sweep

    with _user_errors():
        _, finished = resume_sweep(name, num_samples)
    _sweep_report(name, finished)


@app.command()
def status(name: Annotated[str | None, typer.Argument(help="Sweep name.")] = None) -> None:
    """Trials by state, best so far, store location."""
    from pipeline.sweep import all_statuses, load_record, sweep_status

    with _user_errors():
        found = [sweep_status(load_record(name))] if name else all_statuses()
    if not found:
        typer.echo("no sweeps yet: symsearch sweep search_spaces/quickstart.yaml")
        return
    typer.echo(format_table([_status_row(s) for s in found]))
    for entry in found if name else []:
        best = entry["best"]
        if best:
            typer.echo("\nbest trial\n" + format_table([best]))
        typer.echo(f"\nstore: {entry['store']}\nexperiments: {', '.join(entry['experiments'])}")


def _status_row(entry: dict) -> dict[str, object]:
    keys = ("sweep", "budget", "completed", "stopped", "failed", "not ended", "finished")
    row: dict[str, object] = {k: entry[k] for k in keys}
    best = entry["best"] or {}
    row["best val_metric"] = f"{best['val_metric']:.4g}" if best else None
    row["best candidate"] = best.get("candidate_group")
    return row


def _sweep_report(name: str, finished: bool) -> None:
    from pipeline.sweep import load_record, sweep_status

    entry = sweep_status(load_record(name))
    typer.echo(format_table([_status_row(entry)]))
    if not finished:
        typer.echo(f"sweep {name} was interrupted: `symsearch resume {name}` continues it",
                   err=True)  # fmt: skip
        raise typer.Exit(130)
    typer.echo(
        f'store: {entry["store"]}  (symsearch query "select * from trials where '
        f"sweep='{name}'\" --store {entry['store']})",
        err=True,
    )


USER_ERRORS = [("pipeline.space", "SpaceError"), ("pipeline.data", "DatasetError"),
               ("pipeline.models", "ModelConfigError"), ("pipeline.store", "StoreError"),
               ("pipeline.store", "QueryError"), ("pipeline.sweep", "SweepError"),
               ("pipeline.analysis", "AnalysisError")]  # fmt: skip


@contextlib.contextmanager
def _user_errors():
    """Configuration, store, query, sweep and analysis errors become one line and exit status 2.

    Only the modules the command imported can have raised: the others (data and models import
    torch) are not imported just to name their errors."""
    try:
        yield
    except Exception as error:
        raised = tuple(getattr(sys.modules[module], name) for module, name in USER_ERRORS
                       if module in sys.modules)  # fmt: skip
        if not isinstance(error, raised):
            raise
        fail(str(error))


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="Read-only SQL over the store's tables.")],
    store: StoreOption = None,
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Read-only SQL over the store's tables (trials, epochs, discovery, robustness)."""
    from pipeline.store import open_store, run_query

    if output_format not in ("table", "csv", "json"):
        fail(f"--format must be table, csv or json, got {output_format!r}")
    with _user_errors():
        columns, rows = run_query(open_store(store), sql)
    typer.echo(_format_rows(columns, rows, output_format))


def _format_rows(columns: list[str], rows: list[tuple], output_format: str) -> str:
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    if output_format == "json":
        return json.dumps(records, indent=2, default=str)
    if output_format == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    return format_table(records, columns) if records else "(no rows)"


@app.command()
def analyze(
    name: Annotated[
        str | None, typer.Argument(help="Sweep name (default: the store's only sweep).")
    ] = None,
    store: StoreOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output directory.")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask address.")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Start a local Dask cluster of N workers.")
    ] = None,
) -> None:
    """Dask analyses of the store: discovery, robustness, tolerance; plots and a report."""
    from pipeline.analysis import analyze
    from pipeline.store import open_store, sweeps_in
    from pipeline.sweep import sweep_folder
    from pipeline.sweep._record import check_name, outputs_dir

    if workers is not None and (workers < 1 or scheduler is not None):
        fail("--workers must be at least 1, and cannot be combined with --scheduler")
    with _user_errors():
        location = open_store(store)
        name = check_name(name or _only_sweep(sweeps_in(location), location.url))
        out = out or outputs_dir() / name / "analysis"
        result = analyze(location, name, out, scheduler=scheduler, workers=workers,
                         study_path=sweep_folder(name) / "optuna.db")  # fmt: skip
    typer.echo(result.sentence.replace("**", ""))
    typer.echo(result.verdict_table)
    typer.echo(f"report: {result.report}\ntables and plots: {result.out}")


def _only_sweep(names: list[str], url: str) -> str:
    if len(names) == 1:
        return names[0]
    if not names:
        fail(f"the store {url} holds no sweep yet")
    fail(f"the store {url} holds several sweeps ({', '.join(names)}): name one")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
