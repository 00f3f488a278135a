"""The default searcher in a real sweep: the data test once, then the discovered group (and one
baseline trial on trivial); resume reads the stored test and runs none again."""

import pytest
import yaml

import pipeline
from tests.sweep.helpers import query

# 800 signals: the scored folds are the validation split's halves (80 each), about what the
# data test needs to place a discrete generator's TV below its margin
SPACE = {
    "dataset": {"name": "signals", "length": 16, "transform": "shift", "n_samples": 800},
    "trial": {"epochs": 3, "batch_size": 32, "eval_samples": 2, "robustness": "none"},
    "search": {
        "candidate_group": ["trivial", "flip", "shift16", "shift16*flip"],
        "lr": [0.003, 0.01],
    },
    "num_samples": 3,
    "max_concurrent": 2,
}


@pytest.mark.slow
def test_a_discover_sweep_tests_the_data_once_then_searches_the_discovered_group(
    ray_session, outputs, tmp_path
):
    path, store = tmp_path / "space.yaml", tmp_path / "store"
    path.write_text(yaml.safe_dump(SPACE))
    sweep = pipeline.sweep(path, name="d", store=str(store))  # on the session's Ray
    rows = query(
        "select candidate_group, epochs, discovered_group, model_group, data_test_id from trials",
        store,
        tmp_path,
    )
    assert len(rows) == 3 and {r["epochs"] for r in rows} == {3}  # no probe trial
    assert sorted(r["candidate_group"] for r in rows) == ["shift16", "shift16", "trivial"]
    tests = query(
        "select trial_id, candidate_group, generator, present, tv, discovered_group "
        "from data_tests",
        store,
        tmp_path,
    )
    # the most general candidate first, then each candidate it narrows the search to, once
    by_candidate = {}
    for row in tests:
        by_candidate.setdefault(row["candidate_group"], set()).add(row["trial_id"])
    assert set(by_candidate) == {"shift16", "shift16*flip"}  # flip: no trial uses it
    assert all(len(ids) == 1 for ids in by_candidate.values())
    general = {r["generator"]: r for r in tests if r["candidate_group"] == "shift16*flip"}
    assert general["shift1"]["present"] and not general["flip"]["present"]
    assert general["shift1"]["discovered_group"] == "shift16"
    assert all(len(r["tv"]) >= 1 for r in tests)  # the TV curve is stored
    # every trial names its candidate's test and reads its verdict from it
    searched = [r for r in rows if r["candidate_group"] == "shift16"]
    assert {r["data_test_id"] for r in searched} == by_candidate["shift16"]
    assert {r["discovered_group"] for r in searched} == {"shift16"}
    # a larger budget: the stored test is read back, no test runs again and no probe is spent
    sweep.resume(num_samples=4)
    again = query(
        "select count(distinct trial_id) as n, count(*) as n_rows from data_tests", store, tmp_path
    )
    assert again == [{"n": 2, "n_rows": len(tests)}]
    grown = query("select candidate_group, epochs from trials", store, tmp_path)
    assert len(grown) == 4 and sorted(r["candidate_group"] for r in grown).count("trivial") == 1
