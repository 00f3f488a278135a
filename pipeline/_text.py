"""Plain-text tables for the command line (no dependencies, so the CLI starts fast)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def format_table(rows: Sequence[dict[str, object]], columns: Sequence[str] | None = None) -> str:
    """Left-aligned columns under a header; None prints as '-'."""
    if not rows:
        return "(no rows)"
    columns = list(columns or rows[0].keys())
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = [_line(columns, widths), _line(["-" * w for w in widths], widths)]
    lines += [_line(r, widths) for r in cells]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and value > 10**12:  # S<n> orders: n! has many digits
        return approximate(value)
    return str(value)


def approximate(value: int) -> str:
    """``~1e<digits-1>`` of a large positive integer, without writing it out in decimal (Python
    refuses ints of over 4300 digits, e.g. the order of S4096)."""
    exponent = int(value.bit_length() * math.log10(2))  # off by at most one: corrected below
    while 10 ** (exponent + 1) <= value:
        exponent += 1
    while exponent > 0 and 10**exponent > value:
        exponent -= 1
    return f"~1e{exponent}"


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
