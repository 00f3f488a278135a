"""A multi-objective sweep (validation metric and robustness) ends with a Pareto front in
``analyze``: its table and its plot."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

import pipeline
from tests.sweep.helpers import query, symsearch

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_small_multi_objective_sweep_on_digits_partial_has_a_pareto_front(
    ray_session, outputs, tmp_path
):
    space = yaml.safe_load((ROOT / "search_spaces" / "digits_partial_pareto.yaml").read_text())
    # small: 300 digits, 4 epochs, only the candidate searched
    space["dataset"]["limit"] = 300
    space["trial"] = {**space["trial"], "epochs": 4, "robustness": "none", "eval_samples": 2}
    space["search"] = {
        "candidate_group": space["search"]["candidate_group"],
        "lr": 0.003,
        "init_width": 1.0,
        "reg": 0.2,
    }
    space.update(num_samples=4, max_concurrent=2, scheduler={"name": "fifo"})
    path, store = tmp_path / "pareto.yaml", tmp_path / "store"
    path.write_text(yaml.safe_dump(space))
    pipeline.sweep(path, name="mo", store=str(store))  # on the session's Ray
    scored = query(
        "select count(*) n from trials where robustness is not null and status = 'completed'",
        store,
        tmp_path,
    )
    assert scored == [{"n": 4}]
    per_epoch = query(
        "select epoch from epochs where robustness is not null group by 1 order by 1",
        store,
        tmp_path,
    )
    assert [row["epoch"] for row in per_epoch] == [2, 4]

    assert "best trial" in symsearch("status", "mo", cwd=tmp_path).stdout

    out = tmp_path / "analysis"
    symsearch("analyze", "mo", "--store", str(store), "--out", str(out), cwd=tmp_path)
    front = pd.read_csv(out / "pareto_front.csv")
    # the front is exactly the stored trials that no other beats on both objectives
    stored = query("select trial_id, val_metric, robustness from trials", store, tmp_path)
    points = {row["trial_id"]: (row["val_metric"], row["robustness"]) for row in stored}
    beaten = {
        t
        for t, (v, r) in points.items()
        for u, (v2, r2) in points.items()
        if v2 >= v and r2 >= r and (v2 > v or r2 > r)
    }
    assert set(front["trial_id"]) == set(points) and len(beaten) < len(points)
    assert set(front.loc[front["on_front"], "trial_id"]) == set(points) - beaten, front
    assert front["on_front"].tolist() == sorted(front["on_front"], reverse=True)  # front first
    assert (out / "pareto.png").stat().st_size > 0
    assert "Pareto front" in (out / "report.md").read_text()
