"""The report's curves, on a sweep with a data test and a probe: learning curves (one per
candidate), widths over epochs per generator, the data test's TV curves with the extent marked,
and the probe drawn as a probe; as PNG in report.md and as interactive figures in report.html."""

import json
import re

import pytest

from pipeline.analysis import analyze
from pipeline.analysis._curve_plots import figure_json
from pipeline.analysis._curves import learning_figure, tv_figure, width_figure
from pipeline.store import open_store
from tests.analysis.test_evidence import _write

PROBE = "probe (affine2, not a candidate)"


@pytest.fixture(scope="module")
def tested(tmp_path_factory):
    url = str(tmp_path_factory.mktemp("curves") / "store")
    _write(url, "ok", "SO2", [True, True, False])
    out = tmp_path_factory.mktemp("out") / "ok"
    return analyze(open_store(url), "ok", out, say=lambda m: None)


def embedded_figures(page: str) -> dict[str, list[dict]]:
    """The traces of each plotly figure report.html draws (element id -> traces)."""
    found = {}
    for match in re.finditer(r'Plotly\.newPlot\(\s*"(\w+)",\s*', page):
        traces, _ = json.JSONDecoder().raw_decode(page, match.end())
        found[match.group(1)] = traces
    return found


def _names(figure) -> list[str]:
    return [trace.name for panel in figure.panels for trace in panel.traces]


def test_learning_curves_one_per_candidate_and_the_probe_as_a_probe(tested):
    curves = tested.tables["learning_curves"]
    best = curves[curves["role"] == "best"].groupby("candidate_group")["trial_id"].first()
    assert best.to_dict() == {"SO2": "b", "trivial": "a"}  # each candidate's best trial
    assert set(curves[curves["role"] == "probe"]["trial_id"]) == {"p"}
    figure = learning_figure(curves, "accuracy")
    assert sorted(_names(figure)) == sorted(["SO2", "trivial", PROBE])
    traces = {t["name"]: t for t in figure_json(figure)["data"]}
    assert traces["SO2"]["y"] == pytest.approx([0.95 - 0.1 / e for e in (1, 2, 3)])
    assert traces[PROBE]["meta"]["kind"] == "probe"
    assert traces[PROBE]["line"]["dash"] == "dot" and traces[PROBE]["marker"]["symbol"] == "x"
    assert "![learning curves](learning_curves.png)" in tested.report.read_text()
    assert (tested.out / "learning_curves.png").stat().st_size > 10_000


def test_width_over_epochs_per_generator(tested):
    curves = tested.tables["width_curves"]
    figure = width_figure(curves)
    panels = {panel.title: panel for panel in figure.panels}
    assert set(panels) == {"tx", "ty", "rot", "scale", "stretch", "shear"}  # affine2's order
    rot = {t.name: t for t in panels["rot"].traces if t.kind != "level"}
    assert set(rot) == {"SO2", PROBE}  # trivial has no generator; the probe drawn apart
    assert rot["SO2"].x == [1, 2, 3] and rot["SO2"].y == pytest.approx([0.3, 0.6, 0.9])
    assert [t.name for t in panels["tx"].traces if t.kind != "level"] == [PROBE]
    assert "![width curves](width_curves.png)" in tested.report.read_text()


def test_tv_curves_mark_each_repeats_extent(tested):
    curves = tested.tables["tv_curves"]
    assert len(curves) == 3 * 6 * 2  # repeats x generators x grid steps
    figure = tv_figure(curves)
    rot = next(panel for panel in figure.panels if panel.title == "rot (degrees)")
    extents = [t for t in rot.traces if t.kind == "extent"]
    assert len(extents) == 3
    assert extents[0].x == [180.0, 180.0]  # a vertical line at the present repeat's extent
    assert extents[0].name == "extent 180 degrees (affine2, repeat 0)"
    assert "affine2, repeat 2 (absent)" in [t.name for t in rot.traces]
    assert "![tv curves](tv_curves.png)" in tested.report.read_text()


def test_the_html_report_draws_the_curves_interactively(tested):
    page = (tested.out / "report.html").read_text()
    figures = embedded_figures(page)
    assert set(figures) == {"learning_curves", "width_curves", "tv_curves"}
    learning = [t["name"] for t in figures["learning_curves"]]
    assert sorted(learning) == sorted(["SO2", "trivial", PROBE])
    tv = [t for t in figures["tv_curves"] if t["meta"]["kind"] == "extent"]
    assert {t["x"][0] for t in tv} >= {180.0}


def test_the_search_summary_marks_the_probe(tested):
    search = tested.tables["search_summary"].set_index("trial_id")
    assert search.loc["p", "role"] == "probe"
    assert set(search.drop(index="p")["role"]) == {"trial"}
