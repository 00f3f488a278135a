"""What every ``symsearch`` command shares: the one-line ``error:`` exit, user-error handling,
the common options, ``--set`` parsing and the sweep-name rule."""

from __future__ import annotations

import contextlib
from typing import Annotated, NoReturn

import typer

from pipeline.errors import SymsearchError

StoreOption = Annotated[str | None, typer.Option("--store", help="Result store URL.")]
SetOption = Annotated[list[str] | None, typer.Option("--set", help="Option override k=v.")]


def fail(message: str) -> NoReturn:
    """Bad input: one clear line on stderr, exit status 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@contextlib.contextmanager
def _user_errors():
    """Every user error (a SymsearchError: configuration, store, query, sweep, analysis) becomes
    one line and exit status 2; anything else is a bug and keeps its traceback."""
    try:
        yield
    except SymsearchError as error:
        fail(str(error))


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
        except (yaml.YAMLError, RecursionError):
            fail(f"--set {key.strip()}: cannot read value {text!r}")
    return parsed


def _check_name(name: str, what: str) -> str:
    """The one rule for sweep names, in every command that takes one."""
    from pipeline.store import check_sweep_name

    return check_sweep_name(name, what)
