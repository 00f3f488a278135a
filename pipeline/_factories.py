"""Import a user's ``package.module:function`` factory (datasets and groups alike)."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from typing import Any


def import_function(path: str, label: str, error: type[Exception]) -> Callable[..., Any]:
    """The function ``path`` names; every failure is one ``error`` line that starts with
    ``label`` and the path. The working directory is importable, as with ``python -m``, so a
    module beside the search space is found."""
    module_name, _, attribute = path.partition(":")
    if not module_name.strip() or not attribute.strip():
        raise error(f"{label} {path!r}: give it as module:function (both parts named)")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except (ImportError, ValueError, TypeError) as failure:  # also relative or malformed names
        raise error(f"{label} {path!r}: cannot import {module_name!r} ({failure})") from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise error(f"{label} {path!r}: {module_name} has no function {attribute!r}")
    return function
