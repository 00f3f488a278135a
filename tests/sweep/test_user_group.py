"""A bring-your-own group as candidate and as true group through trial, sweep and analyze."""

import shutil
from pathlib import Path

import pytest
import yaml

from tests.sweep.helpers import query, symsearch

ROOT = Path(__file__).resolve().parents[2]
SPACE = {
    "dataset": {"factory": "my_axis:rods_spun_about_diagonal", "n_samples": 60},
    "trial": {"epochs": 2},
    "search": {"candidate_group": ["my_axis:diagonal_rotations", "SO3"]},
    "searcher": "grid",
    "num_samples": 1,
    "scheduler": {"name": "fifo"},
}


@pytest.mark.slow
@pytest.mark.timeout(1200)  # three CLI processes, one of them a Ray sweep
def test_a_factory_group_runs_through_trial_sweep_and_analyze(ray_session, tmp_path):
    # The user's module sits beside the search space, as docs/how-to/own-group.md shows.
    shutil.copy(ROOT / "tests" / "groups" / "axis_factories.py", tmp_path / "my_axis.py")
    space, store = tmp_path / "space.yaml", tmp_path / "store"
    space.write_text(yaml.safe_dump(SPACE))
    symsearch("trial", str(space), "--store", str(store), cwd=tmp_path, join=True)
    symsearch("sweep", str(space), "--name", "byo", "--store", str(store), cwd=tmp_path, join=True)
    rows = query(
        "select sweep, candidate_group, true_group, status, discovered_group, "
        "discovery_note from trials order by sweep, candidate_group",
        store,
        tmp_path,
    )
    true_group = "my_axis:diagonal_rotations*S16"
    assert [(r["sweep"], r["candidate_group"]) for r in rows] == [
        ("byo", "SO3"),
        ("byo", "my_axis:diagonal_rotations"),
        ("trial", "my_axis:diagonal_rotations"),
    ]
    assert all(r["true_group"] == true_group and r["status"] == "completed" for r in rows)
    # Each trial names what it found, or says why it claims nothing (a model at chance).
    assert all((r["discovered_group"] is None) == bool(r["discovery_note"]) for r in rows)
    shifts = query(
        "select distinct shift, unit from robustness where sweep='byo' and shift='rd'",
        store,
        tmp_path,
    )
    assert shifts == [{"shift": "rd", "unit": "degrees"}]  # the factory's record
    out = tmp_path / "analysis"
    said = symsearch("analyze", "byo", "--store", str(store), "--out", str(out), cwd=tmp_path)
    assert said.stdout.startswith(
        ("The data have ", "The trials' learned widths report ", "No symmetry can be reported")
    )
    assert (out / "report.md").is_file()
