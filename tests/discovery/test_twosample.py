"""The paired, cross-fitted two-sample statistics: exact under exchangeability, the t-test's
level on the boundary, folds combined at their level, and the decision rules built on them
(a confidence bound below 1/2 and an extent beyond the resolution with confidence for continuous
generators, a bound below the margin for discrete ones)."""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.discovery import probes
from pipeline.discovery._extent import BOOTSTRAP
from pipeline.discovery._records import RESOLVED
from pipeline.discovery._test import TestConfig, _verdict
from pipeline.discovery._twosample import (
    combined_p,
    cross_fitted,
    mean_below_p,
    paired_differences,
    sign_test_p,
    upper_bound,
)
from pipeline.groups import get_group

SMALLEST_P = 1 / (BOOTSTRAP + 1) + 1e-12  # a bootstrap p-value where no resample reaches the bar


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


def _step_differences(tvs: list[float], n: int = 400) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [
        (_differences(tv, 0.0, n // 2, 2 * seed), _differences(tv, 0.0, n // 2, 2 * seed + 1))
        for seed, tv in enumerate(tvs)
    ]


def test_correlated_folds_combined_keep_the_level():
    # Two folds whose sign counts share a common part (the cross-fitted folds' sums correlate):
    # pooling them into one sign test overshoots alpha; 2 * min p does not.
    pooled, combined = 0, 0
    for seed in range(600):
        rng = torch.Generator().manual_seed(seed)
        shared = torch.randint(0, 2, (120,), generator=rng) * 2 - 1
        folds = [
            torch.cat([shared, torch.randint(0, 2, (80,), generator=rng) * 2 - 1]) for _ in range(2)
        ]
        pooled += sign_test_p(torch.cat(folds)) <= 0.05
        combined += combined_p([sign_test_p(d) for d in folds]) <= 0.05
    assert combined / 600 <= 0.06 < pooled / 600


def test_the_upper_bound_covers_the_mean():
    covered = sum(upper_bound(_differences(0.3, 0.1, 300, s), 0.05) >= 0.2 for s in range(300))
    assert covered / 300 >= 0.93


def test_a_continuous_generator_whose_moves_all_stay_small_is_whole():
    rot = probes(get_group("SO2"), "image")[0]
    one_noisy_step = [0.0, 0.0, 0.0, 0.12, 0.0, 0.0, 0.0]  # a whole symmetry with one noisy step
    verdict = _verdict(rot, _step_differences(one_noisy_step), TestConfig())
    assert verdict.full and verdict.p_value < 1e-6 and verdict.extent == 180
    assert all(u >= t for u, t in zip(verdict.tv_upper, verdict.tv, strict=True))
    spread = [0.25, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0]  # uniform within +-30 degrees
    verdict = _verdict(rot, _step_differences(spread), TestConfig())
    assert not verdict.full and 25 <= verdict.extent <= 36 and verdict.p_value <= SMALLEST_P
    # TV 0.24 or 0.26 everywhere: no cliff between present-and-whole and absent
    flat = [_verdict(rot, _step_differences([tv] * 7), TestConfig()) for tv in (0.24, 0.26)]
    assert flat[0].p_value <= SMALLEST_P and flat[1].p_value <= SMALLEST_P
    assert flat[0].full == flat[1].full and abs(flat[0].extent - flat[1].extent) < 10


def test_a_spread_at_the_resolution_is_not_claimed_on_its_point_estimate():
    rot = probes(get_group("SO2"), "image")[0]
    at_bar = [15 / 38, 30 / 38, 1.0, 1.0, 1.0, 1.0, 1.0]  # uniform within +-19 degrees
    verdict = _verdict(rot, _step_differences(at_bar), TestConfig())
    # the first step's bound clears 1/2 and the fit clears the bar (1.25 steps, 18.75 degrees),
    # but not with confidence: the extent's lower bound lies below it
    assert verdict.tv_upper[0] < 0.5 and verdict.extent_lower < RESOLVED * 15.0
    assert verdict.p_value > 0.05
    wider = _verdict(
        rot, _step_differences([15 / 60, 30 / 60, 1.0, 1.0, 1.0, 1.0, 1.0]), TestConfig()
    )
    assert wider.extent_lower > RESOLVED * 15.0 and wider.p_value <= SMALLEST_P


def test_a_discrete_generator_is_present_only_below_the_margin():
    mirror = probes(get_group("D1"), "image")[0]
    blurry = _verdict(mirror, _step_differences([0.45]), TestConfig())  # a weak reader's TV
    assert blurry.p_value > 0.5  # half-way out of themselves: no evidence of a symmetry
    whole = _verdict(mirror, _step_differences([0.02]), TestConfig())
    assert whole.p_value < 1e-6 and whole.full and whole.threshold == TestConfig().margin


def test_a_spread_within_the_resolution_is_not_a_symmetry():
    rot = probes(get_group("SO2"), "image")[0]
    # translated digits' own slant: the first step reads low, the curve places them at ~16 degrees
    slant = [0.22, 0.75, 0.96, 1.0, 0.98, 0.66, 0.04]
    verdict = _verdict(rot, _step_differences(slant), TestConfig())
    assert verdict.tv_upper[0] < 0.5 and verdict.extent < 1.25 * 15 and verdict.p_value == 1.0
