"""The commands that read the store: ``query``, ``set-aside``, ``compact`` and ``analyze``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from pipeline._util.text import format_rows, unique_names
from pipeline.cli._common import StoreOption, check_name, fail, user_errors
from pipeline.cli._complete import sweep_names


def query(
    sql: Annotated[str, typer.Argument(help="Read-only SQL over the store's tables.")],
    store: StoreOption = None,
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            help=f"At most N rows (table: {TABLE_ROWS} unless given; csv and json "
            "stream every row).",
        ),
    ] = None,
) -> None:
    """Read-only SQL over the store's tables (trials, epochs, discovery, robustness)."""
    if output_format not in ("table", "csv", "json"):
        fail(f"--format must be table, csv or json, got {output_format!r}")
    if limit is not None and not 1 <= limit <= 10**12:
        fail(f"--limit: expected a number of rows from 1, got {limit}")
    try:
        from pipeline.store import check_readable, open_store

        with user_errors():
            location = open_store(store)
            check_readable(location)
            if output_format == "table":
                _print_table(location, sql, limit or TABLE_ROWS)
            else:
                _stream(location, sql, output_format, limit)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None


TABLE_ROWS = 10_000  # a printed table holds every row in memory to align its columns


def _print_table(location, sql: str, limit: int) -> None:
    from pipeline.store import run_query

    columns, rows = run_query(location, sql, limit + 1)
    typer.echo(format_rows(unique_names(columns), rows[:limit], "table"))
    if len(rows) > limit:
        typer.echo(
            f"(the first {limit} rows; --limit N shows more, --format csv or json "
            "streams them all)",
            err=True,
        )


def _stream(location, sql: str, output_format: str, limit: int | None) -> None:
    """CSV or JSON written batch by batch as DuckDB produces the rows."""
    from pipeline._util.text import stream_writer
    from pipeline.store.query import stream_query

    write = stream_writer(output_format, lambda text: typer.echo(text, nl=False))
    stream_query(location, sql, lambda columns, rows: write(unique_names(columns), rows), limit)
    write(None, None)  # closes a JSON list


def set_aside_files(
    paths: Annotated[list[str], typer.Argument(help="<table>/sweep=<name>/<file>, as named.")],
    store: StoreOption = None,
) -> None:
    """Move damaged or stray table files to the store's _superseded/ folder (nothing deleted)."""
    from pipeline.store import check_readable, open_store, set_aside

    with user_errors():
        location = open_store(store)
        check_readable(location)
        for path in paths:
            typer.echo(f"set aside {path}: {set_aside(location, path)}")


def compact(
    name: Annotated[str, typer.Argument(help="Sweep name.", autocompletion=sweep_names)],
    store: StoreOption = None,
) -> None:
    """Rewrite a sweep's small files as a few large ones per table (latest attempts only; the
    old files move to _superseded/). Safe to interrupt: readers see the same rows throughout."""
    from pipeline.store import check_readable, compact_sweep, open_store

    with user_errors():
        check_name(name, "sweep name")
        location = open_store(store)
        check_readable(location)
        report = compact_sweep(location, name)
    for table, before in report.files_before.items():
        typer.echo(f"{table}: {before} file(s) -> {report.files_after[table]}")


def analyze(
    name: Annotated[
        str | None,
        typer.Argument(
            help="Sweep name (default: the store's only sweep).", autocompletion=sweep_names
        ),
    ] = None,
    store: StoreOption = None,
    out: Annotated[str | None, typer.Option("--out", help="Output directory.")] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the report already in --out.")
    ] = False,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask address.")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Start a local Dask cluster of N workers.")
    ] = None,
    dashboard: Annotated[
        bool,
        typer.Option(
            "--dashboard", help="Dask's dashboard (with --workers or --scheduler): print its URL."
        ),
    ] = False,
) -> None:
    """Dask analyses of the store: discovery, robustness, tolerance; plots and a report."""
    from pipeline.analysis import analyze
    from pipeline.store import check_readable, open_store, sweeps_in
    from pipeline.sweep import outputs_dir, study_location

    if workers is not None and (workers < 1 or scheduler is not None):
        fail("--workers must be at least 1, and cannot be combined with --scheduler")
    with user_errors():
        if dashboard:
            from pipeline.analysis import check_dask_dashboard

            check_dask_dashboard(scheduler, workers)  # before any work
        if name is not None:
            check_name(name, "sweep name")
        folder = _analysis_folder(out, overwrite) if out is not None else None
        location = open_store(store)
        check_readable(location)  # a typo'd store is one line, before any progress is printed
        name = check_name(name or _only_sweep(sweeps_in(location), location.url), "sweep name")
        folder = folder or outputs_dir() / name / "analysis"  # ours: replaced on each run
        result = analyze(
            location,
            name,
            folder,
            scheduler=scheduler,
            workers=workers,
            study=study_location(name, location.url),
            dashboard=dashboard,
        )
    typer.echo(result.sentence.replace("**", ""))
    typer.echo(result.verdict_table)
    typer.echo(
        f"report: {result.report}\nreport (HTML, self-contained): "
        f"{result.out / 'report.html'}\ntables and plots: {result.out}"
    )


def _analysis_folder(out: str, overwrite: bool) -> Path:
    """--out checked before any work: a folder (made if missing) that can be written and holds
    no report yet, unless --overwrite."""
    if not out.strip():
        fail("--out: an empty path; name a folder for the report")
    folder = Path(out).expanduser()
    if folder.exists() and not folder.is_dir():
        fail(f"--out {out}: is a file, not a folder")
    if (folder / "report.md").exists() and not overwrite:
        fail(f"--out {out}: already holds a report; --overwrite replaces it")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".symsearch-probe-{time.time_ns()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        fail(f"--out {out}: cannot be written ({error.strerror or error})")
    return folder


def _only_sweep(names: list[str], url: str) -> str:
    if len(names) == 1:
        return names[0]
    if not names:
        fail(f"the store {url} holds no sweep yet")
    fail(f"the store {url} holds several sweeps ({', '.join(names)}): name one")
