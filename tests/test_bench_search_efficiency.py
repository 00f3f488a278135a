"""bench/search_efficiency.py's figures: expected running time and its paired bootstrap."""

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from search_efficiency import Search, bootstrap_ert_ratio, ert


def test_ert_is_everything_spent_over_the_successes():
    spent = np.array([100.0, 384.0, 50.0, 384.0])
    reached = np.array([True, False, True, False])
    assert ert(spent, reached) == (100 + 384 + 50 + 384) / 2
    assert math.isinf(ert(spent, np.zeros(4, bool)))


def test_a_miss_counts_what_it_spent_and_the_median_figure_its_cap():
    miss, hit = Search(200.0, False, 400.0), Search(120.0, True, 400.0)
    assert (miss.spent, miss.at, hit.at) == (200.0, 400.0, 120.0)


def test_the_ert_ratio_and_its_interval_pair_searches():
    base = [Search(384.0, False, 384.0)] * 15 + [Search(200.0, True, 384.0)] * 5
    same = bootstrap_ert_ratio(base, base)
    assert same == (1.0, 1.0, 1.0)  # paired resamples: the ratio of a strategy to itself
    ours = [Search(60.0, True, 400.0)] * 20
    ratio, low, high = bootstrap_ert_ratio(ours, base)
    assert ratio == 60 / ((15 * 384 + 5 * 200) / 5)
    assert 0 <= low <= ratio <= high < 1
