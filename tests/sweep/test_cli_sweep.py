"""The sweep commands as users run them: each in its own process, with its own local Ray.
A killed sweep resumed, then grown: test_reliability.py (the driver killed at three moments)."""

from pathlib import Path

import pytest
import yaml

from tests.sweep.helpers import query, symsearch

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "search_spaces" / "quickstart.yaml"


@pytest.mark.slow
def test_quickstart_sweep_stores_every_trial_once(tmp_path):
    store = tmp_path / "store"
    # the README's quickstart as it is, smaller through --set: less data, fewer epochs, the
    # data test and three trials (the last the baseline on trivial)
    budget = 3
    swept = symsearch(
        "sweep",
        str(QUICKSTART),
        "--name",
        "q",
        "--store",
        str(store),
        "--set",
        "epochs=6",
        "--set",
        "dataset.limit=400",
        "--set",
        "scheduler.grace_period=3",
        "--set",
        f"num_samples={budget}",
        cwd=tmp_path,
    )
    counts = query(
        "select count(*) n, count(distinct trial_id) d from trials where sweep='q'", store, tmp_path
    )
    assert counts == [{"n": budget, "d": budget}]
    # the live view in a log: one line per ended trial, k of N done, its epochs, an ETA
    lines = [line for line in swept.stderr.splitlines() if line.startswith("trial ")]
    assert len(lines) == budget and f"q: {budget} of {budget} done" in lines[-1], swept.stderr
    assert all(" epochs) | q: " in line for line in lines), lines
    assert all("ETA " in line for line in lines[:-1]) and "ETA" not in lines[-1], lines
    # every trial's settings as typed columns: the fixed epochs, the searched reg
    params = query("select params_epochs e, params_reg r, reg from trials", store, tmp_path)
    assert all(row["e"] == 6 and row["r"] == row["reg"] for row in params), params
    status = symsearch("status", "q", cwd=tmp_path).stdout
    assert "best trial" in status and str(store) in status

    out = tmp_path / "analysis"
    said = symsearch("analyze", "q", "--store", str(store), "--out", str(out), cwd=tmp_path)
    verdict = said.stdout.splitlines()[0]  # the data test's answer first
    assert verdict.startswith("The data have ")
    discovered = verdict.removeprefix("The data have ").split(":")[0]
    assert f"**The data have {discovered}**" in (out / "report.md").read_text()
    assert len(list(out.glob("*.png"))) >= 4
    written = {p.name for p in out.iterdir()}
    assert {"discovery_summary.parquet", "robustness_summary.csv"} <= written


@pytest.mark.parametrize(
    ("change", "field"),
    [({"searcher": "bayes"}, "searcher"), ({"resources": {"gpu": -1}}, "resources.gpu")],
)
def test_bad_space_exits_2_with_one_line_and_writes_nothing(tmp_path, change, field):
    space = tmp_path / "bad.yaml"
    space.write_text(yaml.safe_dump({"dataset": {"name": "digits"}, **change}))
    done = symsearch("sweep", str(space), "--store", str(tmp_path / "s"), cwd=tmp_path, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and field in done.stderr
    assert done.stderr.strip().count("\n") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_analyze_without_a_sweep_exits_2(tmp_path):
    (tmp_path / "empty").mkdir()
    done = symsearch("analyze", "--store", str(tmp_path / "empty"), cwd=tmp_path, check=False)
    assert done.returncode == 2 and "holds no sweep" in done.stderr
