"""``symsearch detect``: the data test alone, no training (``pipeline.api.detect``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pipeline._cli_common import SetOption, _user_errors, parse_overrides
from pipeline._text import format_table


def detect(
    space: Annotated[Path, typer.Argument(help="Search space YAML (its dataset and candidate).")],
    overrides: SetOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Which symmetries do the data have? The data test per generator of the space's candidate
    group (the most general one where it is searched; --set candidate_group=G for another):
    present / absent / undecided, p-value, extent with unit and the TV curve. No training."""
    from pipeline.api import detect as run_detect

    with _user_errors():
        found = run_detect(space, **parse_overrides(overrides or []))
    if as_json:
        payload = {"discovered_group": found.discovered_group, "dataset": found.dataset,
                   "candidate_group": found.candidate_group, "repeats": found.repeats,
                   "seconds": round(found.seconds, 2), "generators": found.generators}  # fmt: skip
        typer.echo(json.dumps(payload, indent=2))
        return
    from pipeline.api._detect import detection_table

    typer.echo(f"{found.dataset} under {found.candidate_group}: the data have "
               f"{found.discovered_group} ({found.seconds:.0f} s)")  # fmt: skip
    typer.echo(format_table(detection_table(found)))
