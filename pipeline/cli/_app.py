"""The ``symsearch`` command line. Each command is a few lines calling the layers below.

Heavy libraries (torch, ray, dask, duckdb, matplotlib) are imported inside the commands that
need them, so ``symsearch --help`` stays fast. The commands live in ``_catalog``, ``_detect``,
``_sweep``, ``_best`` and ``_store`` (what they share in ``_common``); this module registers
them on the typer ``app`` and holds the console script.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pipeline.cli._best import best
from pipeline.cli._catalog import datasets, groups
from pipeline.cli._detect import detect
from pipeline.cli._store import analyze, compact, query, set_aside_files
from pipeline.cli._sweep import resume, status, sweep, trial

app = typer.Typer(
    name="symsearch",
    help="Distributed hyperparameter and symmetry search: which symmetries does your data "
    "have, does encoding them help, and how robust is the result under distribution shift?",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from pipeline import __version__

        typer.echo(f"symsearch {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """The options of ``symsearch`` itself (the help text is the app's)."""


# Registered in this order, which is the order `symsearch --help` lists them in.
app.command()(groups)
app.command()(datasets)
app.command()(detect)
app.command()(trial)
app.command()(sweep)
app.command()(resume)
app.command()(status)
app.command()(best)
app.command()(query)
app.command("set-aside")(set_aside_files)
app.command()(compact)
app.command()(analyze)


def main(argv: list[str] | None = None) -> None:
    """The console script. Click's own usage errors (an unknown option, a value of the wrong
    type, a missing argument) become one ``error:`` line with exit status 2, like every other
    bad input; Ctrl-C exits 130 without a traceback (typer turns it into Exit(130))."""
    errors = _click_exceptions()
    try:
        code = app(args=argv, prog_name="symsearch", standalone_mode=False)
    except errors.NoArgsIsHelpError as error:  # bare `symsearch`: the help
        typer.echo(error.format_message())
        code = 0
    except errors.ClickException as error:
        context = getattr(error, "ctx", None)
        where = f"{context.command_path}: " if context is not None else ""
        hint = f" (see {context.command_path} --help)" if context is not None else ""
        message = " ".join(error.format_message().split()) + _set_hint(error, argv)
        typer.echo(f"error: {where}{message}{hint}", err=True)
        code = error.exit_code if error.exit_code != 1 else 2
    except typer.Abort:  # end of input at a prompt
        code = 130
    sys.exit(code or 0)


def _set_hint(error: Exception, argv: list[str] | None) -> str:
    """An unknown flag that is a setting (``--epochs 4``) names ``--set epochs=4``."""
    option, context = getattr(error, "option_name", None), getattr(error, "ctx", None)
    if not option or context is None or context.command.name is None:
        return ""
    from pipeline.cli._hints import set_hint

    flags = [flag for param in context.command.params for flag in getattr(param, "opts", [])]
    given = sys.argv[1:] if argv is None else argv
    return set_hint(context.command.name, option, given, flags)


def _click_exceptions():
    """Click's exception classes: typer vendors its own copy of click from 0.2x on."""
    try:
        from typer._click import exceptions
    except ImportError:  # older typer: the click package
        from click import exceptions
    return exceptions
