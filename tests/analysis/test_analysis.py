"""The analyses against the same numbers computed independently with DuckDB on the same files."""

import math

import duckdb
import matplotlib.image
import pytest

from pipeline.analysis import analyze, load_table
from pipeline.store import open_store
from tests.analysis.conftest import analyzed, write_sweep, written_store


def latest(store, table):
    """DuckDB's own latest-attempt view of a table (not the project's reader): a trial's latest
    attempt; for epochs, earlier attempts add the epochs before the next later attempt's first."""
    rows = f"read_parquet('{store}/{table}/*/*.parquet', hive_partitioning=true)"
    if table != "epochs":
        return f"(select * from {rows} qualify attempt = max(attempt) over (partition by trial_id))"
    return f"""(with e as (select * from {rows}),
        firsts as (select trial_id, attempt, min(epoch) first from e group by all),
        floors as (select trial_id, attempt, min(first) over (partition by trial_id
                   order by attempt desc rows between unbounded preceding and 1 preceding) floor
                   from firsts)
        select e.* from e join floors using (trial_id, attempt)
        where floor is null or epoch < floor)"""


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory):
    """conftest's synthetic sweep, written once for this module: its tests only read it."""
    return written_store(tmp_path_factory, write_sweep)


@pytest.fixture(scope="module")
def analysis(synthetic_store, tmp_path_factory):
    """One analysis of the synthetic sweep, shared by the tests that read it."""
    return analyzed(synthetic_store, "syn", tmp_path_factory)


def test_epochs_keep_each_epoch_of_the_latest_attempt(synthetic_store):
    frame = load_table(open_store(synthetic_store), "epochs", "syn").compute()
    expected = duckdb.sql(
        f"select trial_id, epoch, attempt from {latest(synthetic_store, 'epochs')} order by 1, 2"
    ).fetchall()
    got = sorted(zip(frame["trial_id"], frame["epoch"], frame["attempt"], strict=True))
    assert got == expected
    resumed = frame[frame["trial_id"] == "t002"].sort_values("epoch")
    assert list(resumed["attempt"]) == [1, 1, 1, 2, 2, 2, 2, 2]


def test_discovery_summary_matches_duckdb(analysis, synthetic_store):
    summary = analysis.tables["discovery_summary"].set_index("candidate_group")
    rows = duckdb.sql(f"""
        select candidate_group, count(*), count(*) filter (status = 'completed'),
               avg(discovery_correct::double) filter (status = 'completed'), max(val_metric)
        from {latest(synthetic_store, "trials")} group by 1""").fetchall()
    assert len(rows) == len(summary) == 3
    for candidate, trials, completed, accuracy, best in rows:
        row = summary.loc[candidate]
        assert (row["trials"], row["completed"]) == (trials, completed)
        assert math.isclose(row["discovery_accuracy"], accuracy)
        assert math.isclose(row["best_val_metric"], best)


def test_width_statistics_match_duckdb(analysis, synthetic_store):
    widths = analysis.tables["discovery_widths"].set_index(["candidate_group", "generator"])
    rows = duckdb.sql(f"""
        select t.candidate_group, d.generator, count(*), avg(d.normalized_width),
               stddev_samp(d.normalized_width), avg(d.active::double)
        from {latest(synthetic_store, "discovery")} d
        join {latest(synthetic_store, "trials")} t using (trial_id)
        where t.status = 'completed' group by 1, 2""").fetchall()
    assert len(rows) == len(widths) == 7  # SO2: rot; affine2: six generators
    for candidate, generator, count, mean, std, active in rows:
        row = widths.loc[(candidate, generator)]
        assert row["trials"] == count and math.isclose(row["mean_normalized_width"], mean)
        assert math.isclose(row["std_normalized_width"], std)
        assert math.isclose(row["active_share"], active)


def test_robustness_curves_and_support_means_match_duckdb(analysis, synthetic_store):
    curves = analysis.tables["robustness_curves"]
    summary = analysis.tables["robustness_summary"]
    completed = f"""(select r.*, t.candidate_group from {latest(synthetic_store, "robustness")} r
                     join {latest(synthetic_store, "trials")} t using (trial_id)
                     where t.status = 'completed')"""
    rows = duckdb.sql(f"""select candidate_group, averaged, magnitude, avg(metric)
                          from {completed} group by all""").fetchall()
    assert len(rows) == len(curves)
    indexed = curves.set_index(["candidate_group", "averaged", "magnitude"])["mean_metric"]
    assert all(math.isclose(indexed.loc[(c, a, m)], v) for c, a, m, v in rows)
    support = duckdb.sql(f"""
        select candidate_group, averaged, in_support, avg(metric) from (
            select candidate_group, averaged, magnitude, in_support, avg(metric) metric
            from {completed} group by all) group by all""").fetchall()
    everything = summary[summary["trials"] == "all"].set_index(["candidate_group", "averaged"])
    for candidate, averaged, inside, mean in support:
        column = "in_support_mean" if inside else "out_of_support_mean"
        assert math.isclose(everything.loc[(candidate, averaged), column], mean)


def test_search_and_tolerance_summaries_match_duckdb(analysis, synthetic_store):
    search = analysis.tables["search_summary"]
    epochs = duckdb.sql(f"""select trial_id, count(*) from
        {latest(synthetic_store, "epochs")} group by 1""").fetchall()
    assert dict(zip(search["trial_id"], search["trial_epochs"], strict=True)) == dict(epochs)
    assert search["cumulative_epochs"].iloc[-1] == sum(n for _, n in epochs)
    valid = search["val_metric"].dropna()
    assert search["best_so_far"].iloc[-1] == valid.max()
    tolerance = analysis.tables["tolerance_summary"]
    rows = duckdb.sql(f"""select candidate_group, tolerance, avg(equivariance_error),
        avg(tolerance_met::double) from {latest(synthetic_store, "trials")}
        where status = 'completed' group by all""").fetchall()
    assert len(rows) == len(tolerance)
    for candidate, eps, error, met in rows:
        match = tolerance[
            (tolerance["candidate_group"] == candidate)
            & (tolerance["tolerance"].isna() if eps is None else tolerance["tolerance"] == eps)
        ]
        assert math.isclose(match["equivariance_error"].iloc[0], error)
        share = match["tolerance_met"].iloc[0]
        assert (met is None and math.isnan(share)) or math.isclose(share, met)


def test_outputs_report_and_plots(analysis):
    out = analysis.out
    for name in ("discovery_summary", "robustness_summary", "tolerance_summary", "search_summary"):
        assert (out / f"{name}.parquet").is_file() and (out / f"{name}.csv").is_file()
    assert len(analysis.plots) >= 4
    for plot in analysis.plots:
        assert matplotlib.image.imread(plot).shape[0] > 100  # decodes: a real image
    report = analysis.report.read_text()
    verdict = analysis.verdict
    assert f"learned widths report {verdict['discovered_group']}**" in report
    assert (
        verdict["winner"]
        == analysis.tables["discovery_summary"]
        .sort_values("best_val_metric")
        .iloc[-1]["candidate_group"]
    )


@pytest.mark.slow
def test_distributed_cluster_gives_the_same_summaries(synthetic_store, tmp_path, analysis):
    spread = analyze(
        open_store(synthetic_store), "syn", tmp_path / "d", workers=2, say=lambda m: None
    )
    for name in (
        "discovery_summary",
        "discovery_widths",
        "robustness_summary",
        "search_summary",
        "tolerance_summary",
    ):
        left, right = analysis.tables[name], spread.tables[name]
        assert left.shape == right.shape
        assert left.round(12).equals(right.round(12)), name


@pytest.mark.slow
def test_s3_store_gives_the_same_summaries(s3_endpoint, analysis, tmp_path):
    url = "s3://symsearch-test/analysis-store"
    write_sweep(url)
    remote = analyze(open_store(url), "syn", tmp_path / "s3", say=lambda m: None)
    for name in ("discovery_summary", "robustness_summary", "search_summary"):
        assert analysis.tables[name].round(12).equals(remote.tables[name].round(12)), name


def test_a_sweep_without_trials_is_a_clear_error(tmp_path):
    from pipeline.analysis import AnalysisError

    with pytest.raises(AnalysisError, match="no trials"):
        analyze(open_store(str(tmp_path / "empty")), "nothing", tmp_path / "o", say=print)


def test_a_winner_whose_trials_all_learned_nothing_yields_no_verdict():
    import pandas as pd

    from pipeline.analysis import sweep_verdict

    trials = pd.DataFrame(
        {
            "trial_id": ["a", "b"],
            "candidate_group": ["C4", "trivial"],
            "status": ["completed", "completed"],
            "val_metric": [0.3, 0.2],
            "metric_mode": ["max", "max"],
            "discovered_group": [None, None],
            "discovery_correct": [False, False],
            "true_group": ["C4", "C4"],
        }
    )
    verdict = sweep_verdict(trials)
    assert verdict["discovered_group"] is None and "chance" in verdict["reason"]


def test_dask_dashboard_serves_while_the_cluster_runs(tmp_path):
    import urllib.request

    pytest.importorskip("bokeh", reason="Dask's dashboard needs bokeh")
    from pipeline.analysis._run import dask_scheduler

    said = []
    with dask_scheduler(None, 1, said.append, dashboard=True):
        url = next(line for line in said if line.startswith("Dask dashboard: ")).split(": ")[1]
        with urllib.request.urlopen(url, timeout=30) as page:  # the status page, served
            assert page.status == 200 and b"Dask" in page.read()
    assert url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    ("flags", "why"), [([], "needs a cluster"), (["--workers", "1"], "needs bokeh")]
)
def test_dask_dashboard_refusals_are_one_line(flags, why, synthetic_store, monkeypatch):
    import importlib.util

    from typer.testing import CliRunner

    from pipeline.cli import app

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "bokeh" else real(name, *a)
    )
    result = CliRunner().invoke(app, ["analyze", "--store", synthetic_store, "--dashboard", *flags])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --dashboard: ") and why in lines[0]
