"""report.html: the same report as report.md in one self-contained file.

Plots are embedded as base64 PNG, the curves (learning curves, widths over epochs, the data
test's TV curves) as interactive plotly figures whose plotly.js is inlined once, and every table
sorts by a click on its header (a few lines of inline JavaScript): the file can be mailed or
opened offline, nothing is fetched from anywhere.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Any

from pipeline.analysis._report import (
    COLUMNS,
    CURVE_TEXT,
    _best_rows,
    _cell,
    verdict_display,
    verdict_rule,
    verdict_sentence,
)

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222;
       padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.88em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f0f3f7; cursor: pointer; user-select: none; white-space: nowrap; }
th[aria-sort=ascending]::after { content: " \\25B2"; }
th[aria-sort=descending]::after { content: " \\25BC"; }
tr:nth-child(even) td { background: #fafafa; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
.verdict { font-size: 1.1em; background: #f6fbf3; padding: 0.8em; border-left: 4px solid #5a5; }
.note { color: #666; }
.scroll { overflow-x: auto; }
"""

# Click a header: sort its table by that column (numbers as numbers, "-" last), again: reverse.
SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (header, column) {
    header.addEventListener("click", function () {
      var ascending = header.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0], rows = Array.from(body.rows);
      var key = function (row) {
        var text = row.cells[column].textContent.trim(), number = parseFloat(text);
        return text === "-" ? null : (isNaN(number) || !/^[-+.\\d]/.test(text) ? text : number);
      };
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === null || y === null) { return x === y ? 0 : (x === null ? 1 : -1); }
        var order = typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0)
                                          : (typeof x === "number" ? -1 : 1);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  table.setAttribute("data-sortable", "ready");
});
"""


def html_table(frame: Any, columns: list[str] | None = None, limit: int = 200) -> str:
    if frame is None or len(frame) == 0:
        return '<p class="note">(no rows)</p>'
    columns = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    rows = [
        "<tr>" + "".join(f"<td>{html.escape(_cell(row[c]))}</td>" for c in columns) + "</tr>"
        for _, row in frame.head(limit).iterrows()
    ]
    more = (
        f'<p class="note">({len(frame) - limit} more rows in the CSV)</p>'
        if len(frame) > limit
        else ""
    )
    return (
        f'<div class="scroll"><table class="sortable"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{more}"
    )


def embedded_image(path: Path | None, label: str) -> str:
    """A PNG as a data URL (the report carries its plots)."""
    if path is None or not Path(path).is_file():
        return ""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(label)}" src="data:image/png;base64,{data}">'


def interactive(figures: dict[str, Any], key: str) -> str:
    """A curve figure drawn by the inlined plotly.js, with its paragraph (nothing without it)."""
    if key not in figures:
        return ""
    from pipeline.analysis._curve_plots import plotly_div

    return _text(CURVE_TEXT[key]) + f'<div class="figure">{plotly_div(figures[key])}</div>'


def plotly_script(figures: dict[str, Any]) -> str:
    """plotly.js inlined, once, where there is a figure to draw."""
    if not figures:
        return ""
    from pipeline.analysis._curve_plots import plotly_bundle

    return f'<script type="text/javascript">{plotly_bundle()}</script>'


def _text(markdown: str) -> str:
    """One paragraph of the markdown report's prose: escaped, **bold** and `code` kept."""
    text = html.escape(markdown.strip())
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return "<p>" + re.sub(r"`(.+?)`", r"<code>\1</code>", text) + "</p>"


def write_html_report(
    path: Path,
    sweep: str,
    store: str,
    verdict: dict[str, Any],
    tables: dict[str, Any],
    notes: dict[str, str],
    metric_name: str,
    study_plots: list[Path],
) -> Path:
    from pipeline.analysis._curves import curve_figures

    figures = {figure.key: figure for figure in curve_figures(tables, metric_name)}
    out = path.parent
    image = lambda name, label: embedded_image(out / name, label)  # noqa: E731
    table = lambda name: html_table(tables[name], COLUMNS.get(name))  # noqa: E731
    title = f"symsearch: sweep {sweep}"
    body = [
        f"<h1>Sweep <code>{html.escape(sweep)}</code>: analysis</h1>",
        f'<div class="verdict">{_text(verdict_sentence(verdict, metric_name))[3:-4]}</div>',
        html_table(verdict_display(tables["generator_verdicts"])),
        _text(verdict_rule(verdict, metric_name)),
        interactive(figures, "tv_curves"),
        "<h2>Which candidate served the task</h2>",
        table("candidate_summary"),
        _text(f"Store: `{store}`. Every table sorts by a click on a column's header."),
        interactive(figures, "learning_curves"),
        "<h2>Discovery</h2>",
        table("discovery_summary"),
        _text("Mean normalized width per generator over completed trials (active from 0.5):"),
        table("discovery_widths"),
        image("widths.png", "widths"),
        interactive(figures, "width_curves"),
        "<h2>Robustness under distribution shift</h2>",
        _text(
            f"Test {metric_name} on test sets moved along each generator, for the best trial "
            "of each candidate (all trials in robustness_summary.csv), with and without "
            "test-time averaging."
        ),
        html_table(_best_rows(tables["robustness_summary"]), COLUMNS["robustness_summary"]),
        image("robustness.png", "robustness"),
        "<h2>Tolerance and averaging cost</h2>",
        table("tolerance_summary"),
        image("tolerance.png", "tolerance"),
        "<h2>Search</h2>",
        table("search_summary"),
        image("best_so_far.png", "best so far"),
        "<h3>Optuna parameter importances</h3>",
        _text(notes["importances"]) if notes.get("importances") else table("param_importances"),
        *(embedded_image(plot, plot.stem.replace("_", " ")) for plot in study_plots),
        _text(notes["study_plots"]) if notes.get("study_plots") else "",
    ]
    document = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>{plotly_script(figures)}"
        "</head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + f"\n<script>{SORT_SCRIPT}</script>\n</body></html>\n"
    )
    path.write_text(document, encoding="utf-8")
    return path
