"""``symsearch best``: the best trial of a sweep as a search space that ``symsearch trial`` runs
as is, and where its saved state lives."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from pipeline.cli._common import StoreOption, check_name, fail, user_errors
from pipeline.cli._complete import sweep_names


def best(
    name: Annotated[str, typer.Argument(help="Sweep name.", autocompletion=sweep_names)],
    store: StoreOption = None,
    output_format: Annotated[
        str, typer.Option("--format", help="yaml or json (both are spaces `trial` reads).")
    ] = "yaml",
    metric: Annotated[
        str,
        typer.Option(
            "--metric",
            help="The trials column that decides (val_metric, test_metric, "
            "equivariance_error, ...).",
        ),
    ] = "val_metric",
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode",
            help="max or min (default: the sweep's for the metrics, min for errors, "
            "losses and seconds).",
        ),
    ] = None,
) -> None:
    """The best trial's configuration as a space: symsearch best NAME > best.yaml, then
    symsearch trial best.yaml reruns it (seeds included)."""
    if output_format not in ("yaml", "json"):
        fail(f"--format: expected yaml or json, got {output_format!r}")
    from pipeline.api import Sweep, open_sweep

    with user_errors():
        check_name(name, "sweep name")
        if store is not None:  # the tables decide; no record needed (`trial --store --name`)
            from pipeline.store import open_store

            chosen = Sweep(name, open_store(store).url).best(metric, mode)
        else:
            chosen = open_sweep(name).best(metric, mode)
    space = chosen.space()
    if output_format == "json":
        typer.echo(json.dumps(space, indent=2))
    else:
        import yaml

        typer.echo(yaml.safe_dump(space, sort_keys=False).rstrip())
    typer.echo(
        f"best trial {chosen.trial_id}: {metric} = {chosen.value:.6g} ({chosen.mode})\n"
        f"state: {chosen.state}",
        err=True,
    )
