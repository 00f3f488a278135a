"""``symsearch detect``: the data test alone, no training (``pipeline.api.detect``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pipeline._util.text import format_table
from pipeline.cli._common import SetOption, parse_overrides, user_errors

if TYPE_CHECKING:
    from pipeline.api import Detection


def detect(
    space: Annotated[Path, typer.Argument(help="Search space YAML (its dataset and candidate).")],
    overrides: SetOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Which symmetries do the data have? The data test per generator of the space's candidate
    group (the most general one where it is searched; --set candidate_group=G for another):
    present / absent / undecided, p-value, extent with unit and the TV curve. No training."""
    from pipeline.api import detect as run_detect

    with user_errors():
        found = run_detect(space, **parse_overrides(overrides or []))
    if as_json:
        payload = {
            "discovered_group": found.discovered_group,
            "dataset": found.dataset,
            "candidate_group": found.candidate_group,
            "repeats": found.repeats,
            "seconds": round(found.seconds, 2),
            "generators": found.generators,
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    typer.echo(
        f"{found.dataset} under {found.candidate_group}: the data have "
        f"{found.discovered_group} ({found.seconds:.0f} s)"
    )
    typer.echo(format_table(detection_table(found)))


def detection_table(found: Detection) -> list[dict[str, Any]]:
    """``symsearch detect``'s rows: one per generator, the TV curve in two decimals."""
    return [
        {
            "generator": g["generator"],
            "verdict": g["verdict"],
            "p_value": f"{g['p_value']:.2g}",
            "extent": f"{g['extent']:.3g}",
            "unit": g["unit"],
            "TV by step": " ".join(f"{t:.2f}" for t in g["tv"]),
            "note": (g["note"] or "")[:60],
        }
        for g in found.generators
    ]
