"""Plain-text tables for the command line (no dependencies, so the CLI starts fast)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence


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


def unique_names(columns: Sequence[str]) -> list[str]:
    """Repeated column names (``t.attempt, e.attempt``) get a suffix: attempt, attempt_1."""
    taken = set(columns)
    seen: set[str] = set()
    unique = []
    for column in columns:
        name, suffix = column, 0
        while name in seen or (name != column and name in taken):
            suffix += 1
            name = f"{column}_{suffix}"
        seen.add(name)
        unique.append(name)
    return unique


def json_safe(value: object) -> object:
    """NaN and infinities are not JSON: they become null (inside lists and maps too)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    return value


def format_rows(columns: Sequence[str], rows: Sequence[tuple], output_format: str) -> str:
    """Query rows as a table, CSV or JSON (column names must be unique: ``unique_names``)."""
    import csv
    import io
    import json

    records = [dict(zip(columns, row, strict=True)) for row in rows]
    if output_format == "json":
        return json.dumps(json_safe(records), indent=2, default=str, allow_nan=False)
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    return format_table(records, columns) if records else "(no rows)"


def stream_writer(output_format: str, out: Callable[[str], None]) -> Callable[..., None]:
    """A writer of query rows in batches, as CSV or JSON (the text ``format_rows`` makes of all
    of them at once), handing text to ``out``; ``write(None, None)`` ends the output."""
    import csv
    import io
    import json

    state = {"header": False, "records": 0}

    def write(columns: Sequence[str] | None, rows: Sequence[tuple] | None) -> None:
        if columns is None:  # the end
            if output_format == "json":
                out("\n]\n" if state["records"] else "[]\n")
            return
        if output_format == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            if not state["header"]:
                writer.writerow(columns)
                state["header"] = True
            writer.writerows(rows or [])
            out(buffer.getvalue())
            return
        for row in rows or []:
            record = json.dumps(
                json_safe(dict(zip(columns, row, strict=True))),
                indent=2,
                default=str,
                allow_nan=False,
            )
            lead = "[\n" if not state["records"] else ",\n"
            out(lead + "\n".join("  " + line for line in record.splitlines()))
            state["records"] += 1

    return write


def name_hint(word: str, known: Sequence[str], label: str = "sweeps with trials") -> str:
    """``"; did you mean X? (LABEL: a, b)"`` for a name not found among ``known``."""
    return f"{did_you_mean(word, known)} ({label}: {', '.join(known) or 'none yet'})"


def did_you_mean(word: str, known: Sequence[str]) -> str:
    """``"; did you mean X?"`` for a misspelled key close to one of ``known``, else ``""``."""
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""
