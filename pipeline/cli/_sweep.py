"""The commands that run training: ``trial`` (in-process), ``sweep`` and ``resume`` (Ray Tune),
and ``status``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pipeline._util.text import format_table
from pipeline.cli._common import (
    SetOption,
    StoreOption,
    check_name,
    fail,
    parse_overrides,
    user_errors,
)
from pipeline.cli._complete import sweep_names
from pipeline.errors import TrialStatus


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

    with user_errors():  # configuration and store errors raise before any training starts
        check_name(name, "--name")
        config = trial_config(load_space(space), parse_overrides(overrides or []))
        writer = _trial_writer(store, name, config.to_json()) if store is not None else None
        progress = _progress(config.epochs)
        latest: dict = {}  # the last epoch's state: a stored trial's model can be loaded
        keep = (lambda state: latest.update(state=state)) if writer is not None else None
        result = run_trial(config, report=_recording(progress, writer), save=keep)
        if writer is not None:
            _record_result(writer, result, latest.get("state"))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        typer.echo(format_table([_trial_summary(result.trial)]))
    if result.trial["status"] == TrialStatus.FAILED:
        raise typer.Exit(1)


def _trial_writer(url: str, sweep: str, config_json: str):
    import hashlib

    from pipeline.store import StoreWriter, check_writable, claim_attempt, open_store

    location = open_store(url)
    check_writable(location)
    trial_id = "t" + hashlib.sha1(config_json.encode()).hexdigest()[:11]  # same config, same id
    return StoreWriter(location, sweep, trial_id, claim_attempt(location, sweep, trial_id))


def _recording(progress, writer):
    """Show each epoch and, with a store, write it there at once (a crash loses at most one)."""

    def report(metrics: dict) -> None:
        progress(metrics)
        if writer is not None:
            writer.add("epochs", metrics)
            writer.flush()

    return report


def _record_result(writer, result, state) -> None:
    """The trial's rows, then its final state at the place sweeps keep theirs (a retry of the
    same configuration replaces it)."""
    from pipeline.sweep import save_state

    writer.add_result(result)
    if state is not None:
        save_state(writer.location, writer.sweep, writer.trial_id, state)
    typer.echo(
        f"stored trial {writer.trial_id} attempt {writer.attempt} in {writer.location.url} "
        f"(sweep {writer.sweep})",
        err=True,
    )


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
DashboardOption = Annotated[
    bool, typer.Option("--dashboard", help="Start Ray's dashboard and print its URL.")
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Take the sweep's lock even where another driver holds it (only when that "
        "driver is gone).",
    ),
]


def sweep(
    space: Annotated[Path, typer.Argument(help="Search space YAML.")],
    name: Annotated[str | None, typer.Option("--name", help="Sweep name.")] = None,
    store: StoreOption = None,
    num_samples: Annotated[
        int | None, typer.Option("--num-samples", help="Trials to run (the space's num_samples).")
    ] = None,
    max_concurrent: Annotated[
        int | None, typer.Option("--max-concurrent", help="Trials at once (default: all that fit).")
    ] = None,
    cluster: Annotated[
        Path | None, typer.Option("--cluster", help="clusters/X.yaml: address, store, resources.")
    ] = None,
    address: Annotated[
        str | None, typer.Option("--address", help="Join a running Ray cluster (or 'auto').")
    ] = None,
    verbose: VerboseOption = False,
    study_storage: Annotated[
        str | None,
        typer.Option("--study-storage", help="Optuna RDB URL for the study (postgresql://...)."),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="k=v: fix a trial setting for every trial (epochs=5, dataset.limit=500) "
            "or change a sweep setting (scheduler.grace_period=2).",
        ),
    ] = None,
    dashboard: DashboardOption = False,
    force: ForceOption = False,
) -> None:
    """Run a sweep on Ray Tune and write every trial to the store."""
    from pipeline.sweep import (
        SweepOptions,
        check_ray_dashboard,
        load_cluster,
        prepare_sweep,
        start_sweep,
    )

    with user_errors():
        if dashboard:
            check_ray_dashboard()  # before anything is validated, written or started
        options = SweepOptions(
            name=name,
            store=store,
            num_samples=num_samples,
            max_concurrent=max_concurrent,
            address=address,
            verbose=verbose,
            study_storage=study_storage,
            cluster=load_cluster(cluster) if cluster is not None else None,
            overrides=parse_overrides(overrides or []),
            dashboard=dashboard,
            force=force,
        )
        prepared = prepare_sweep(space, options)
        finished = start_sweep(prepared)
    _sweep_report(prepared.record.name, finished, prepared.record.store)


def resume(
    name: Annotated[str, typer.Argument(help="Sweep name.", autocompletion=sweep_names)],
    num_samples: Annotated[
        int | None, typer.Option("--num-samples", help="Raise the budget.")
    ] = None,
    store: Annotated[
        str | None, typer.Option("--store", help="Read the sweep's record from this store.")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="k=v for the trials still to run: resources.cpu, resources.gpu, "
            "checkpoint_seconds; compact=false: leave the finished sweep's files uncompacted.",
        ),
    ] = None,
    dashboard: DashboardOption = False,
    allow_factory: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-factory",
            help="module:function: a group or dataset factory the record names "
            "that may be imported (repeat for several).",
        ),
    ] = None,
    trust_store: Annotated[
        bool,
        typer.Option(
            "--trust-store",
            help="Import every factory the record names (whoever can write the "
            "store runs code here).",
        ),
    ] = False,
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="Join this Ray cluster (a record's own address is not joined on its word).",
        ),
    ] = None,
    force: ForceOption = False,
) -> None:
    """Continue an interrupted sweep; --num-samples N raises its budget to N trials. With
    --store, from any machine that reaches the store."""
    from pipeline.sweep import SweepOptions, check_ray_dashboard, resume_sweep

    with user_errors():
        if dashboard:
            check_ray_dashboard()
        options = SweepOptions(
            name=name,
            store=store,
            num_samples=num_samples,
            address=address,
            overrides=parse_overrides(overrides or []),
            dashboard=dashboard,
            force=force,
            allow_factories=allow_factory or (),
            trust_store=trust_store,
        )
        prepared, finished = resume_sweep(options)
    _sweep_report(name, finished, prepared.record.store)


def status(
    name: Annotated[
        str | None, typer.Argument(help="Sweep name.", autocompletion=sweep_names)
    ] = None,
    store: Annotated[
        str | None, typer.Option("--store", help="Read the sweep's record from this store.")
    ] = None,
) -> None:
    """Trials by state, best so far, store location."""
    from pipeline.sweep import all_statuses, load_record, sweep_status

    with user_errors():
        if name is None and store is not None:
            fail("--store: name the sweep too (symsearch status NAME --store URL)")
        found = [sweep_status(load_record(name, store))] if name is not None else all_statuses()
    if not found:
        typer.echo("no sweeps yet: symsearch sweep search_spaces/quickstart.yaml")
        return
    unreadable = [entry for entry in found if "error" in entry]
    found = [entry for entry in found if "error" not in entry]
    if found:
        typer.echo(format_table([_status_row(s) for s in found]))
    for entry in unreadable:  # the other sweeps are shown; each damaged one gets its line
        typer.echo(f"error: sweep {entry['sweep']}: {entry['error']}", err=True)
    if unreadable:
        raise typer.Exit(2)
    for entry in found if name is not None else []:
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


def _sweep_report(name: str, finished: bool, store: str) -> None:
    from pipeline._util.factories import named_factories, resume_flags
    from pipeline.sweep import load_record, sweep_status

    record = load_record(name, store)
    entry = sweep_status(record)
    typer.echo(format_table([_status_row(entry)]))
    if not finished:
        typer.echo(
            f"sweep {name} was interrupted: `symsearch resume {name} --store "
            f"{entry['store']}{resume_flags(named_factories(record.space))}` continues it",
            err=True,
        )
        raise typer.Exit(130)
    typer.echo(
        f'store: {entry["store"]}  (symsearch query "select * from trials where '
        f"sweep='{name}'\" --store {entry['store']})",
        err=True,
    )
