"""The paired, cross-fitted two-sample statistics: exact under exchangeability, the t-test's
level on the boundary, and the decision rules built on them (invariance below INVARIANT_TV)."""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.discovery import probes
from pipeline.discovery._test import INVARIANT_TV, _verdict
from pipeline.discovery._twosample import (
    cross_fitted,
    mean_below_p,
    paired_differences,
    sign_test_p,
)
from pipeline.groups import get_group


def _differences(p_up: float, p_down: float, n: int, seed: int) -> torch.Tensor:
    u = torch.rand(n, generator=torch.Generator().manual_seed(seed))
    return (u < p_up).long() - ((u >= p_up) & (u < p_up + p_down)).long()


@given(st.integers(0, 10_000))
@settings(max_examples=30, deadline=None)
def test_the_sign_test_is_symmetric_and_exact(seed):
    from scipy.stats import binom

    d = _differences(0.3, 0.3, 200, seed)
    up, nonzero = int((d > 0).sum()), int((d != 0).sum())
    # P(X >= up) + P(X <= up) = 1 + P(X = up): the two one-sided tails meet at the point mass
    both = sign_test_p(d) + sign_test_p(-d)
    assert abs(both - 1 - binom.pmf(up, nonzero, 0.5)) < 1e-9
    assert sign_test_p(torch.zeros(50, dtype=torch.long)) == 1.0  # nothing differs at all


def test_the_sign_test_keeps_its_level_under_exchangeable_pairs():
    rejections = sum(sign_test_p(_differences(0.2, 0.2, 300, s)) <= 0.05 for s in range(400))
    assert rejections / 400 <= 0.07  # level 0.05, exact (a conservative discrete test)


def test_the_mean_test_keeps_its_level_on_the_boundary_and_has_power_below_it():
    on_boundary = [mean_below_p(_differences(0.5, 0.0, 400, s), 0.5) for s in range(400)]
    assert sum(p <= 0.05 for p in on_boundary) / 400 <= 0.08
    below = [mean_below_p(_differences(0.3, 0.0, 400, s), 0.5) for s in range(50)]
    assert all(p <= 1e-6 for p in below)
    assert mean_below_p(torch.zeros(10, dtype=torch.long), 0.25) == 0.0  # exact: all alike


def test_paired_differences_score_the_other_split_with_the_best_reading():
    rng = torch.Generator().manual_seed(0)
    noise = [torch.randn(200, generator=rng) for _ in range(4)]
    useless = [torch.randn(200, generator=rng) for _ in range(4)]
    fit = ([useless[0], noise[0]], [useless[1], noise[1] + 3.0])  # reading 1 tells them apart
    score = ([useless[2], noise[2]], [useless[3], noise[3] + 3.0])
    d = paired_differences(*fit, *score)
    assert d.dtype == torch.long and set(d.unique().tolist()) <= {-1, 0, 1}
    assert d.double().mean() > 0.8  # TV of two unit normals 3 apart: 0.87
    assert len(cross_fitted(fit, score)) == 400  # both splits scored, each once


def _step_differences(tvs: list[float], n: int = 400) -> list[torch.Tensor]:
    return [_differences(tv, 0.0, n, seed) for seed, tv in enumerate(tvs)]


def test_a_continuous_generator_whose_moves_all_stay_below_invariant_tv_is_whole():
    rot = probes(get_group("SO2"), "image")[0]
    one_noisy_step = [0.0, 0.0, 0.0, 0.12, 0.0, 0.0]  # a whole symmetry with one noisy step
    verdict = _verdict(rot, _step_differences(one_noisy_step), visibility=0.0)
    assert max(one_noisy_step) < INVARIANT_TV
    assert verdict.full and verdict.p_value < 1e-6  # not absent against a tiny ceiling
    spread = [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]  # uniform within +-60 degrees
    verdict = _verdict(rot, _step_differences(spread), visibility=0.0)
    assert not verdict.full and 50 <= verdict.extent <= 70 and verdict.p_value < 1e-6


def test_a_discrete_generator_is_present_only_below_invariant_tv():
    mirror = probes(get_group("D1"), "image")[0]
    blurry = _verdict(mirror, _step_differences([0.45]), visibility=0.0)  # a weak reader's TV
    assert blurry.p_value > 0.5  # half-way out of themselves: no evidence of a symmetry
    whole = _verdict(mirror, _step_differences([0.02]), visibility=0.0)
    assert whole.p_value < 1e-6 and whole.full
