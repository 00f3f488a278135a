"""Import a user's ``package.module:function`` factory (datasets and groups alike), and the
trust boundary around it: a factory named in stored data (a sweep record, a ``trials`` row) is
someone else's code, so it is imported only where the reader allows it.

Outside ``stored_data`` every factory is the user's own (their space file, ``--set``, their
Python call) and is imported. Inside ``stored_data(allowed)`` only the paths in ``allowed`` are;
with ``names_only`` (the reading commands) none are, and group names that name a factory are
checked for their spelling alone (``factory_names_only``).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class _Policy:
    allowed: frozenset[str]
    names_only: bool


_POLICY: ContextVar[_Policy | None] = ContextVar("symsearch_factory_policy", default=None)


@contextlib.contextmanager
def stored_data(allowed: Iterable[str] = (), names_only: bool = False) -> Iterator[None]:
    """Within: import only the factories in ``allowed`` (the user's own arguments, or the
    record's under ``--trust-store``); ``names_only``: import none, check spelling only."""
    token = _POLICY.set(_Policy(frozenset(allowed), names_only))
    try:
        yield
    finally:
        _POLICY.reset(token)


def factory_names_only() -> bool:
    """True where factories named in data are read as names and never imported."""
    policy = _POLICY.get()
    return policy is not None and policy.names_only


def _refusal(path: str) -> str | None:
    policy = _POLICY.get()
    if policy is None or path in policy.allowed:
        return None
    return (
        f"named by stored data, not imported (a store's writer chose it): allow it with "
        f"--allow-factory {path}, or all the record's with --trust-store"
    )


def import_function(path: str, label: str, error: type[Exception]) -> Callable[..., Any]:
    """The function ``path`` names; every failure is one ``error`` line that starts with
    ``label`` and the path. A module not found on ``sys.path`` is looked for in the working
    directory (as with ``python -m``, so a module beside the search space is found), for this
    import only: the directory never stays on ``sys.path``."""
    module_name, _, attribute = path.partition(":")
    if not module_name.strip() or not attribute.strip():
        raise error(f"{label} {path!r}: give it as module:function (both parts named)")
    refused = _refusal(path)
    if refused is not None:
        raise error(f"{label} {path!r}: {refused}")
    try:
        module = _import(module_name)
    except (ImportError, ValueError, TypeError) as failure:  # also relative or malformed names
        raise error(f"{label} {path!r}: cannot import {module_name!r} ({failure})") from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise error(f"{label} {path!r}: {module_name} has no function {attribute!r}")
    return function


def _import(module_name: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as missing:
        top = module_name.split(".")[0]
        if missing.name != top or os.getcwd() in sys.path:
            raise
    sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(module_name)
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(os.getcwd())


FACTORY_SPELLING = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


def model_section(options: dict[str, Any]) -> dict[str, Any]:
    """A space's ``model:``: backbone options, or ``factory: module:function`` (spelled so;
    imported when a trial builds the network) with the factory's options; ValueError else."""
    path = options.get("factory")
    if "factory" in options and not (isinstance(path, str) and FACTORY_SPELLING.fullmatch(path)):
        shown = str(path)[:200]
        raise ValueError(f"factory must look like 'package.module:function', got {shown!r}")
    return options


def named_factories(data: Any) -> list[str]:
    """Every module:function path that ``data`` (a space as a dict) names, sorted, once each:
    what a resume from the store must be allowed to import (``--allow-factory``)."""
    found: set[str] = set()
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif isinstance(value, str) and FACTORY_SPELLING.fullmatch(value):
            found.add(value)
    return sorted(found)


def resume_flags(factories: list[str]) -> str:
    """`` --allow-factory PATH`` per factory path ('' where none)."""
    return "".join(f" --allow-factory {path}" for path in factories)


def check_allow_list(allowed: object) -> frozenset[str]:
    """``--allow-factory`` values (or the API's ``allow_factories``): module:function paths."""
    from pipeline.errors import SpaceError

    if isinstance(allowed, str) or not isinstance(allowed, Iterable):
        raise SpaceError(
            f"allow_factories: expected a list of module:function paths, got "
            f"{type(allowed).__name__}"
        )
    paths = list(allowed)
    for path in paths:
        if not isinstance(path, str) or not FACTORY_SPELLING.fullmatch(path):
            raise SpaceError(f"--allow-factory: expected module:function, got {str(path)[:200]!r}")
    return frozenset(paths)


def trust_store_warning() -> None:
    print(
        "warning: --trust-store: importing the factories this store's data names; whoever "
        "can write the store runs code here",
        file=sys.stderr,
    )
