"""One seed of bench/quickstart_verdict.py: the README's main job answers SO2 by default."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from quickstart_verdict import run_once


@pytest.mark.slow
def test_the_quickstart_names_so2_with_rot_present_and_the_rest_absent(
    ray_session, outputs, tmp_path
):
    result = run_once(0, tmp_path)
    assert result["right"], result
    assert result["headline"] == "The data have SO2"
    assert len(result["test_seconds"]) >= 1  # the data test ran once per tested candidate
