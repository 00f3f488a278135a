"""Seed 0 of bench/quickstart_verdict.py: the README's main job answers SO2 by default."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from quickstart_verdict import judge


@pytest.mark.slow
def test_the_quickstart_names_so2_with_rot_present_and_the_rest_absent(quickstart_sweep, tmp_path):
    import pipeline

    sweep = pipeline.open_sweep(quickstart_sweep.name, store=str(quickstart_sweep.store))
    result = judge(sweep, tmp_path / "analysis")
    assert result["right"], result
    assert result["headline"] == "The data have SO2"
    assert len(result["test_seconds"]) >= 1  # the data test ran once per tested candidate
