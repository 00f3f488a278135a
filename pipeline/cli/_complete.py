"""Shell completion of sweep names (``symsearch --install-completion`` installs it).

A name completes from the sweep records under this machine's outputs (``outputs/sweeps/<name>``)
and from a local store (the one ``--store`` names, else the default): its records
(``_sweeps/<name>``) and the sweeps its ``trials`` table holds (``trials/sweep=<name>``, also
single trials run with ``trial --store --name``). Folder names only, no store library and never a
remote store: a Tab answers at once.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")  # the store's sweep-name rule
PARTITION = "sweep="


def sweep_names(ctx: Any, incomplete: str) -> list[str]:
    """The known sweep names that start with ``incomplete``."""
    params = getattr(ctx, "params", None) or {}
    found = set(_names_in(_outputs() / "sweeps"))
    store = _local_store(params.get("store"))
    if store is not None:
        found.update(_names_in(store / "_sweeps"))
        found.update(
            name.removeprefix(PARTITION)
            for name in _entries(store / "trials")
            if name.startswith(PARTITION)
        )
    return sorted(n for n in found if n.startswith(incomplete) and NAME.fullmatch(n))


def _outputs() -> Path:
    return Path(os.environ.get("SYMSEARCH_OUTPUTS") or "outputs")


def _local_store(store: str | None) -> Path | None:
    if store is None:
        return _outputs() / "store"
    if store.startswith("file://"):
        return Path(store.removeprefix("file://"))
    return None if "://" in store else Path(store)


def _names_in(folder: Path) -> list[str]:
    return [name for name in _entries(folder) if (folder / name).is_dir()]


def _entries(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:  # no such folder, not readable: nothing to offer
        return []
