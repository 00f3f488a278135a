"""YAML files read with limits: a space or cluster file is a few KB, and a malformed or hostile
one (oversized, not UTF-8, nested thousands deep, a billion-item alias bomb) is one SpaceError
line before it costs time or memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.errors import SpaceError

MAX_FILE_BYTES = 64 * 1024  # space and cluster files are a few KB; a runaway file (a list of
# millions of items took minutes and gigabytes to parse) is refused before it is read
MAX_DEPTH = 32  # nesting levels of a YAML file; the schemas need fewer than 6
MAX_ITEMS = 100_000  # values in a YAML file, counting each use of an alias


def read_yaml(path: Path, label: str, what: str) -> Any:
    """A YAML file's content; a missing, oversized, non-UTF-8, broken or too deeply nested file
    is one SpaceError line."""
    import yaml

    try:
        if not path.is_file():
            raise SpaceError(f"{label}: no such {what} file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SpaceError(
                f"{label}: {size} bytes; a {what} file may hold at most "
                f"{MAX_FILE_BYTES // 1024} KiB"
            )
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise SpaceError(f"{label}: cannot read it ({error.strerror or error})") from None
    except UnicodeDecodeError as error:
        raise SpaceError(f"{label}: not UTF-8 text (byte {error.start})") from None
    try:
        content = load_yaml(text)
    except yaml.YAMLError as error:
        if "nesting depth" in str(error):  # libyaml's own limit
            raise SpaceError(f"{label}: nested too deeply (at most {MAX_DEPTH} levels)") from None
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise SpaceError(f"{label}: not valid YAML{where}") from None
    except RecursionError:
        raise SpaceError(f"{label}: nested too deeply (at most {MAX_DEPTH} levels)") from None
    except ValueError as error:  # an integer of thousands of digits (Python's int limit)
        raise SpaceError(f"{label}: not valid YAML ({str(error)[:200]})") from None
    check_shape(content, label)
    return content


def read_yaml_value(text: str, label: str) -> Any:
    """One YAML value given on the command line (``--set k=v``), held to a file's limits: its
    size, nesting and expansion; every problem one SpaceError line quoting at most 200
    characters of it."""
    import yaml

    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        raise SpaceError(f"{label}: a value of more than {MAX_FILE_BYTES // 1024} KiB")
    try:
        content = load_yaml(text)
    except (yaml.YAMLError, RecursionError, ValueError) as error:  # ValueError: an integer
        # of thousands of digits (Python's int limit)
        reason = (
            "nested too deeply"
            if "nesting" in str(error) or isinstance(error, RecursionError)
            else "cannot read value"
        )
        raise SpaceError(f"{label}: {reason} {quote(text)}") from None
    check_shape(content, label)
    return content


def quote(text: str, limit: int = 200) -> str:
    """``repr`` of at most ``limit`` characters of ``text`` (error messages stay one short line)."""
    return repr(text[:limit]) + (f" (+{len(text) - limit} characters)" if len(text) > limit else "")


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` with libyaml where installed: ten times faster, and it refuses deep
    nesting at once instead of recursing until Python's limit."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def check_shape(content: Any, label: str) -> None:
    """Refuse deep nesting and huge expansions (YAML aliases can make a small file a
    billion-item tree), walking the tree without recursion and stopping at the limits."""
    items, stack = 0, [(content, 1)]
    while stack:
        item, depth = stack.pop()
        items += 1
        if items > MAX_ITEMS:
            raise SpaceError(f"{label}: more than {MAX_ITEMS} values (aliases included)")
        if isinstance(item, dict | list) and depth > MAX_DEPTH:
            raise SpaceError(f"{label}: nested too deeply (at most {MAX_DEPTH} levels)")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
