"""The sweep commands as users run them: each in its own process, with its own local Ray.
A killed sweep resumed, then grown: test_reliability.py (the driver killed at three moments)."""

from pathlib import Path

import pytest
import yaml

from tests.sweep.helpers import query, symsearch

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "search_spaces" / "quickstart.yaml"


@pytest.mark.slow
def test_quickstart_sweep_stores_every_trial_once(quickstart_sweep, tmp_path):
    # the README's quickstart as it is (`symsearch sweep search_spaces/quickstart.yaml`, run
    # once per session by the quickstart_sweep fixture): the data test, then its budget of trials
    run, space = quickstart_sweep, yaml.safe_load(QUICKSTART.read_text())
    budget, name = space["num_samples"], quickstart_sweep.name
    counts = query(
        f"select count(*) n, count(distinct trial_id) d from trials where sweep='{run.name}'",
        run.store,
        run.folder,
    )
    assert counts == [{"n": budget, "d": budget}]
    # the live view in a log: one line per ended trial, k of N done, its epochs, an ETA
    lines = [line for line in run.log.splitlines() if line.startswith("trial ")]
    assert len(lines) == budget and f"{name}: {budget} of {budget} done" in lines[-1], run.log
    assert all(f" epochs) | {name}: " in line for line in lines), lines
    assert all("ETA " in line for line in lines[:-1]) and "ETA" not in lines[-1], lines
    # every trial's settings as typed columns: the fixed epochs, the searched reg
    params = query("select params_epochs e, params_reg r, reg from trials", run.store, run.folder)
    epochs = space["trial"]["epochs"]
    assert all(row["e"] == epochs and row["r"] == row["reg"] for row in params), params
    status = symsearch("status", name, cwd=run.folder).stdout
    assert "best trial" in status and str(run.store) in status

    out = tmp_path / "analysis"
    said = symsearch(
        "analyze", run.name, "--store", str(run.store), "--out", str(out), cwd=run.folder
    )
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
