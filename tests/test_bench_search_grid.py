"""bench/_trial_table.py: the search bench's grid draws like the real space, and its cached
tables hold every point of it (else the bench would train hundreds of trials first)."""

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from _trial_table import (
    CACHE,
    REDUCED,
    bench_space,
    key_of,
    level_grid,
    load_table,
    table_path,
    table_points,
)


@settings(max_examples=60, deadline=None)
@given(
    low=st.floats(1e-5, 1.0), span=st.floats(1.5, 1e4), log=st.booleans(), levels=st.integers(2, 7)
)
def test_levels_split_the_real_distribution_into_equally_likely_bins(low, span, log, levels):
    high = low * span
    dimension = {"distribution": "loguniform" if log else "uniform", "low": low, "high": high}
    grid = level_grid(dimension, levels)
    values = grid["choices"]
    assert values == sorted(values) and len(set(values)) == levels
    assert all(low <= v <= high for v in values) and grid["default"] in values
    # a real draw falls nearest each level equally often: the grid is the distribution, coarsened
    scale = np.log if log else (lambda v: v)
    draws = np.random.default_rng(0).uniform(scale(low), scale(high), 20_000)
    nearest = np.abs(draws[:, None] - scale(np.asarray(values))[None, :]).argmin(axis=1)
    shares = np.bincount(nearest, minlength=levels) / len(draws)
    assert np.allclose(shares, 1 / levels, atol=0.02), shares


def test_the_default_level_is_the_one_nearest_the_real_default():
    grid = level_grid({"distribution": "loguniform", "low": 0.02, "high": 0.5, "default": 0.1})
    assert grid["default"] == 0.1 and len(grid["choices"]) == 5
    middle = level_grid({"distribution": "uniform", "low": 0.0, "high": 1.0}, levels=3)
    assert middle["default"] == 0.5 and math.isclose(middle["choices"][0], 1 / 6, rel_tol=1e-2)


@pytest.mark.parametrize("name", list(REDUCED))
def test_the_cached_table_holds_every_point_of_the_bench_space(name):
    cached = load_table(table_path(name, False, CACHE))
    missing = [p for p in table_points(bench_space(name, False)) if key_of(p) not in cached]
    assert not missing, f"{len(missing)} points not in {table_path(name, False, CACHE)}"


@pytest.mark.parametrize("name", list(REDUCED))
def test_the_cached_table_holds_the_probe_at_every_test_seed(name):
    from _probe_table import PROBE_SEEDS, load_probes, most_general_candidate

    probes = load_probes(table_path(name, False, CACHE))
    assert sorted(probes) == list(range(PROBE_SEEDS))
    assert {p["candidate_group"] for p in probes.values()} == {most_general_candidate(name)}
    assert all(p["cpu_seconds"] > 0 for p in probes.values())
