"""The default searcher in a real sweep: the probe first, then only the discovered group."""

import pytest
import yaml

import pipeline
from tests.sweep.helpers import query

# 400 signals: 80 per held-out split, about what the data test needs to place a discrete
# generator's TV below 1/4 (at 32 per split one noisy step leaves the shifts undecided)
SPACE = {"dataset": {"name": "signals", "length": 16, "transform": "shift", "n_samples": 400},
         "trial": {"epochs": 3, "batch_size": 32, "eval_samples": 2, "robustness": "none"},
         "search": {"candidate_group": ["trivial", "flip", "shift16", "shift16*flip"],
                    "lr": [0.003, 0.01]},
         "num_samples": 4, "max_concurrent": 2}  # fmt: skip


@pytest.mark.slow
def test_a_discover_sweep_probes_then_searches_the_discovered_group(ray_session, outputs,
                                                                     tmp_path):  # fmt: skip
    path, store = tmp_path / "space.yaml", tmp_path / "store"
    path.write_text(yaml.safe_dump(SPACE))
    pipeline.sweep(path, name="d", store=str(store))  # on the session's Ray, as `symsearch sweep`
    rows = query("select candidate_group, epochs, discovered_group, finished_at from trials "
                 "order by finished_at", store, tmp_path)  # fmt: skip
    assert len(rows) == 4
    probe = [r for r in rows if r["epochs"] == 1]
    assert [p["candidate_group"] for p in probe] == ["shift16*flip"]
    assert probe[0]["discovered_group"] == "shift16"  # the data test: shifts, no flip
    assert {r["candidate_group"] for r in rows if r["epochs"] != 1} == {"shift16"}
