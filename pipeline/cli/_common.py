"""What every ``symsearch`` command shares: the one-line ``error:`` exit, user-error handling,
the common options, ``--set`` parsing and the sweep-name rule."""

from __future__ import annotations

import contextlib
from typing import Annotated, NoReturn

import typer

from pipeline.errors import SymsearchError

StoreOption = Annotated[str | None, typer.Option("--store", help="Result store URL.")]
SetOption = Annotated[list[str] | None, typer.Option("--set", help="Option override k=v.")]


MAX_ERROR_CHARACTERS = 1000  # an error line quotes values clipped to 200 characters; this
# bounds the whole line whatever a message quotes


def fail(message: str) -> NoReturn:
    """Bad input: one clear line on stderr, exit status 2."""
    line = " ".join(message.split("\n"))
    if len(line) > MAX_ERROR_CHARACTERS:
        line = line[:MAX_ERROR_CHARACTERS] + " ..."
    typer.echo(f"error: {line}", err=True)
    raise typer.Exit(2)


@contextlib.contextmanager
def user_errors():
    """Every user error (a SymsearchError: configuration, store, query, sweep, analysis) becomes
    one line and exit status 2; anything else is a bug and keeps its traceback."""
    try:
        yield
    except SymsearchError as error:
        fail(str(error))


def parse_overrides(pairs: list[str]) -> dict[str, object]:
    """``key=value`` strings to a mapping; values are read as YAML (45 -> int, SO2 -> str),
    within the limits of a space file (size, nesting, alias expansion)."""
    from pipeline._util.safe_yaml import quote, read_yaml_value

    parsed: dict[str, object] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--set expects key=value, got {quote(pair)}")
        label = f"--set {key.strip()[:100]}"
        try:
            parsed[key.strip()] = read_yaml_value(text, label) if text.strip() else ""
        except SymsearchError as error:
            fail(str(error))
    return parsed


def check_name(name: str, what: str) -> str:
    """The one rule for sweep names, in every command that takes one."""
    from pipeline.store import check_sweep_name

    return check_sweep_name(name, what)
