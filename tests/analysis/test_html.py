"""report.html: self-contained (plots embedded, no outside references), sortable tables, Optuna's
plots; and rendered by a real browser (headless Chromium) where one is installed."""

import os
import re
import shutil
import subprocess

import pytest

from pipeline.analysis import analyze
from pipeline.analysis._study_plots import study_plots
from pipeline.analysis._summaries import load_study, param_importances
from pipeline.store import open_store


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from tests.analysis.conftest import write_sweep

    folder = tmp_path_factory.mktemp("html")
    write_sweep(str(folder / "store"))
    study = _study(folder / "optuna.db", "syn")
    result = analyze(
        open_store(str(folder / "store")), "syn", folder / "out", study=study, say=lambda m: None
    )
    return result.out / "report.html"


def _study(path, name):
    """A small Optuna study like a sweep's: a categorical and a float parameter."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=name,
        storage=f"sqlite:///{path}",
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    bonus = {"trivial": 0.0, "SO2": 0.3, "affine2": 0.1}
    study.optimize(
        lambda t: (
            bonus[t.suggest_categorical("candidate_group", list(bonus))]
            + t.suggest_float("reg", 0.01, 1.0, log=True) / 10
        ),
        n_trials=8,
    )
    return path


def test_the_html_report_is_one_self_contained_file(report):
    page = report.read_text()
    assert "<title>symsearch: sweep syn</title>" in page
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', page)
    assert {
        "widths",
        "robustness",
        "tolerance",
        "best so far",
        "param importances",
        "parallel coordinate",
    } <= set(images)
    # nothing to fetch: no external script, stylesheet, image or font (the inlined plotly.js
    # holds URLs in its own code, never fetched for the figures drawn here)
    assert not re.search(r"<script[^>]*\bsrc=", page)
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.DOTALL)
    assert not re.search(r'(src|href)="(?!data:)', markup)
    assert "http://" not in markup and "https://" not in markup
    assert page.count('<table class="sortable">') >= 6
    assert "learned widths report" in page  # the verdict sentence (no data test in this sweep)


def test_plotly_is_inlined_once_and_draws_a_learning_curve_per_candidate(report):
    from tests.analysis.test_curves import embedded_figures

    page = report.read_text()
    assert page.count("plotly.js v") == 1  # the bundle's banner: inlined once, offline
    assert "cdn.plot.ly" not in re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.DOTALL)
    figures = embedded_figures(page)
    assert set(figures) == {"learning_curves", "width_curves"}  # no data test in this sweep
    assert sorted(t["name"] for t in figures["learning_curves"]) == ["SO2", "affine2", "trivial"]
    markdown = (report.parent / "report.md").read_text()
    assert "![learning curves](learning_curves.png)" in markdown
    assert "tv_curves.png" not in markdown


def test_the_markdown_report_shows_optunas_plots_too(report):
    markdown = (report.parent / "report.md").read_text()
    assert "![param importances](param_importances.png)" in markdown
    assert "![parallel coordinate](parallel_coordinate.png)" in markdown


def test_study_plots_say_why_when_there_is_no_study(tmp_path):
    assert study_plots(*load_study(None, "s"), tmp_path) == ([], "no Optuna study for this sweep")
    plots, note = study_plots(*load_study(tmp_path / "missing.db", "s"), tmp_path)
    assert plots == [] and "no Optuna study" in note


def test_a_study_database_that_cannot_be_reached_is_a_note_not_a_failure(tmp_path):
    from tests.conftest import free_port

    down = f"postgresql+psycopg2://symsearch@127.0.0.1:{free_port()}/nothing"  # nobody listens
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed (the postgres extra)")
    importances, note = param_importances(*load_study(down, "s"))
    assert importances.empty and note.startswith("not available (OperationalError")
    assert study_plots(*load_study(down, "s"), tmp_path)[0] == []
    # a URL-named study, as a PostgreSQL one is read: the same figures as from its file
    url = f"sqlite:///{_study(tmp_path / 'url.db', 'u')}"
    by_url, note = param_importances(*load_study(url, "u"))
    assert note is None and set(by_url["parameter"]) == {"candidate_group", "reg"}


def _browser():
    return next(
        filter(
            None,
            map(
                shutil.which,
                ("chromium", "chromium-browser", "google-chrome", "chromium-headless-shell"),
            ),
        ),
        None,
    )


@pytest.mark.slow  # a browser start on a loaded machine: seconds to tens of seconds
def test_a_headless_browser_renders_the_report(report, tmp_path):
    browser = _browser()
    if browser is None:
        why = "no Chromium here: apt-get install chromium (the test needs a real browser)"
        if os.environ.get("SYMSEARCH_REQUIRE_BROWSER"):  # .ci/run installed one: it must run
            pytest.fail(why)
        pytest.skip(why)
    Image = pytest.importorskip("PIL.Image")
    flags = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,2000",
    ]
    url = report.resolve().as_uri()
    dom = subprocess.run(
        [*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120
    ).stdout
    assert "<title>symsearch: sweep syn</title>" in dom
    assert 'data-sortable="ready"' in dom  # the inline script ran without an error
    assert dom.count('class="plot-container plotly"') == 2  # plotly.js drew both curve figures
    assert 'class="legendtext"' in dom and ">SO2</text>" in dom  # with the candidates' legend
    shot = tmp_path / "report.png"
    subprocess.run([*flags, f"--screenshot={shot}", url], capture_output=True, timeout=120)
    image = Image.open(shot).convert("L")
    assert image.size == (1280, 2000)
    pixels = list(image.tobytes())
    dark = sum(1 for p in pixels if p < 128) / len(pixels)
    assert 0.005 < dark < 0.6, dark  # text and plots drawn, not a blank (or black) page
    assert len(set(pixels)) > 50  # antialiased text and plot colours, not a flat fill
