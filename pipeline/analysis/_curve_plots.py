"""The curve figures (``_curves.Figure``) drawn twice: a PNG (matplotlib) for report.md and an
interactive plotly figure for report.html, whose plotly.js is inlined once (offline: nothing is
fetched from anywhere)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.analysis._curves import Figure, Trace
from pipeline.analysis._plots import _pyplot, _save

PROBE_STYLE = {"color": "black", "linestyle": ":", "marker": "X", "markersize": 8}


def curve_png(figure: Figure, path: Path) -> Path:
    plt = _pyplot()
    count = len(figure.panels)
    columns = min(count, 3)
    rows = -(-count // columns)
    canvas, axes = plt.subplots(
        rows, columns, figsize=(5 * columns, 3.6 * rows), squeeze=False, sharey=True
    )
    for axis, panel in zip(axes.flat, figure.panels, strict=False):
        for trace in panel.traces:
            _draw(axis, trace)
        axis.set(title=panel.title, xlabel=figure.xlabel, ylabel=figure.ylabel)
        if figure.log_x:
            axis.set_xscale("log")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    for axis in list(axes.flat)[count:]:
        axis.set_visible(False)
    canvas.suptitle(figure.title, fontsize=10)
    return _save(canvas, path)


def _draw(axis: Any, trace: Trace) -> None:
    label = trace.name if trace.legend else None
    if trace.kind == "probe":
        axis.plot(trace.x, trace.y, label=label, **PROBE_STYLE)
    elif trace.kind == "extent":
        axis.axvline(trace.x[0], linestyle="--", linewidth=1, color=trace.color, label=label)
    elif trace.kind == "level":
        axis.axhline(trace.y[0], linestyle="--", linewidth=0.8, color="grey", label=label)
    else:
        axis.plot(trace.x, trace.y, marker="o", markersize=3, label=label, color=trace.color)


def plotly_bundle() -> str:
    """plotly.js itself, to inline once in report.html."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def plotly_figure(figure: Figure) -> Any:
    """The figure as a plotly Figure: a subplot per panel, legend entries shared by name."""
    from plotly.subplots import make_subplots

    count = len(figure.panels)
    columns = min(count, 3)
    rows = -(-count // columns)
    titles = [panel.title for panel in figure.panels]
    plot = make_subplots(rows=rows, cols=columns, subplot_titles=titles, shared_yaxes=True)
    seen: set[str] = set()
    for index, panel in enumerate(figure.panels):
        where = {"row": index // columns + 1, "col": index % columns + 1}
        for trace in panel.traces:
            show = trace.legend and trace.name not in seen
            seen.add(trace.name)
            plot.add_trace(_scatter(trace, show), **where)
        plot.update_xaxes(title_text=figure.xlabel, **where)
        if figure.log_x:
            plot.update_xaxes(type="log", **where)
    plot.update_yaxes(title_text=figure.ylabel, col=1)
    plot.update_layout(
        title=figure.title, height=380 * rows, template="plotly_white", hovermode="closest"
    )
    return plot


def _scatter(trace: Trace, show: bool) -> Any:
    import plotly.graph_objects as go

    style: dict[str, Any] = {
        "mode": "lines+markers",
        "marker": {"size": 5, "color": trace.color},
        "line": {"color": trace.color},
    }
    if trace.kind == "probe":
        style = {
            "mode": "lines+markers",
            "line": {"color": "black", "dash": "dot"},
            "marker": {"symbol": "x", "size": 10, "color": "black"},
        }
    elif trace.kind == "extent":
        style = {"mode": "lines", "line": {"color": trace.color, "dash": "dash", "width": 1}}
    elif trace.kind == "level":
        style = {"mode": "lines", "line": {"color": "grey", "dash": "dash", "width": 1}}
    return go.Scatter(
        x=trace.x,
        y=trace.y,
        name=trace.name,
        legendgroup=trace.name,
        showlegend=show,
        meta={"kind": trace.kind},
        **style,
    )


def plotly_div(figure: Figure) -> str:
    """An element drawn by the inlined plotly.js (no script fetched: ``include_plotlyjs=False``)."""
    import plotly.io as pio

    return pio.to_html(
        plotly_figure(figure),
        include_plotlyjs=False,
        include_mathjax=False,
        full_html=False,
        div_id=figure.key,
        config={"displaylogo": False, "responsive": True},
    )


def figure_json(figure: Figure) -> dict[str, Any]:
    """The plotly figure as JSON data (what report.html embeds), for tests and tools."""
    return json.loads(plotly_figure(figure).to_json())
