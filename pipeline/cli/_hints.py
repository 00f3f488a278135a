"""Hints for flags that are settings: ``symsearch trial space.yaml --epochs 4`` names
``--set epochs=4``. Only read on the error path (the settings' names come from
``pipeline.space``, which imports pydantic)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence


def settable(command: str) -> list[str]:
    """The keys ``--set`` takes on ``command`` (none where it has no ``--set``)."""
    from pipeline.space import RESUMABLE, SEARCHABLE, SWEEP_SETTINGS

    return {
        "trial": SEARCHABLE,
        "detect": SEARCHABLE,
        "sweep": [*SEARCHABLE, *SWEEP_SETTINGS],
        "resume": list(RESUMABLE),
    }.get(command, [])


def set_hint(command: str, option: str, argv: Sequence[str], flags: Sequence[str]) -> str:
    """``"; epochs is a setting: use --set epochs=4"`` for an unknown ``--option`` that names
    (or nearly names) a setting ``--set`` takes on ``command``; ``""`` otherwise, and where the
    near name is one of the command's own ``flags`` (click suggests those)."""
    if not option.startswith("--"):
        return ""
    word = option[2:].replace("-", "_")
    keys = settable(command)
    key = word if word in keys else next(iter(difflib.get_close_matches(word, keys, 1, 0.8)), None)
    if key is None or f"--{key.replace('_', '-')}" in flags:
        return ""
    return f"; {key} is a setting: use --set {key}={_value(option, argv)}"


def _value(option: str, argv: Sequence[str]) -> str:
    """The value given after the flag (``--epochs 4`` or ``--epochs=4``), else VALUE."""
    for index, token in enumerate(argv):
        if token.startswith(f"{option}="):
            return token.partition("=")[2] or "VALUE"
        if token == option and index + 1 < len(argv) and not argv[index + 1].startswith("--"):
            return argv[index + 1]
    return "VALUE"
