"""MkDocs hook: the CLI and store schema references, generated from the code at build time.

A page holds a marker, ``<!-- generated: cli -->`` or ``<!-- generated: store-schema -->``; the
hook replaces it with markdown built from the typer app (``pipeline.cli.app``) or from the
store's schemas (``pipeline.store.SCHEMAS``), so the reference cannot drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the checkout's package, also without an install
    sys.path.insert(0, str(ROOT))

MARKERS = {
    "<!-- generated: cli -->": lambda: cli_reference(),
    "<!-- generated: store-schema -->": lambda: store_reference(),
}


def on_page_markdown(markdown: str, **_: object) -> str:
    """Replace each marker on a page with its generated reference."""
    for marker, build in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, build())
    return markdown


def _cell(text: str) -> str:
    """Text for one markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _params_table(params: list, context) -> list[str]:
    rows = [record for param in params if (record := param.get_help_record(context))]
    if not rows:
        return []
    lines = ["| argument or option | meaning |", "| --- | --- |"]
    lines += [f"| `{_cell(names)}` | {_cell(meaning)} |" for names, meaning in rows]
    return [*lines, ""]


def cli_reference() -> str:
    """Every command of ``symsearch``: its help text, usage, arguments and options."""
    import typer

    from pipeline.cli import app

    group = typer.main.get_command(app)
    root = group.make_context("symsearch", [], resilient_parsing=True)
    lines = ["### symsearch", "", _cell(group.help or ""), ""]
    lines += _params_table(group.params, root)
    for name, command in group.commands.items():
        context = command.make_context(name, [], parent=root, resilient_parsing=True)
        usage = command.get_usage(context).removeprefix("Usage: ")
        lines += [f"### symsearch {name}", "", _cell(command.help or ""), ""]
        lines += ["```text", usage, "```", ""]
        lines += _params_table(command.params, context)
    return "\n".join(lines)


def store_reference() -> str:
    """Every store table: its record key and its columns with their Arrow types."""
    from pipeline.store import SCHEMA_VERSION, SCHEMAS
    from pipeline.store._schema import PARTITION, RECORD_KEYS

    lines = [
        f"Schema version {SCHEMA_VERSION}. Every table is partitioned by `{PARTITION}` (the "
        "folder `sweep=<name>`, a column to readers); every row carries `trial_id` and "
        "`attempt`, and readers keep each record's latest attempt.",
        "",
    ]
    for table, schema in SCHEMAS.items():
        key = ", ".join(f"`{name}`" for name in ("trial_id", *RECORD_KEYS[table]))
        lines += [f"## `{table}`", "", f"One record per {key}; {len(schema)} columns.", ""]
        lines += ["| column | type |", "| --- | --- |"]
        lines += [f"| `{field.name}` | `{_cell(str(field.type))}` |" for field in schema]
        lines.append("")
    return "\n".join(lines)
