"""Two-sample classification on one-dimensional readings, paired and cross-fitted, and the
p-values of its two questions (is there any difference; is the difference below a threshold)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

HISTOGRAM_BINS = 16


def histogram_classifier(a: Tensor, b: Tensor) -> Callable[[Tensor], Tensor]:
    """Says B where, in equal-mass bins of the pooled readings, B's fitted count exceeds A's."""
    pooled = torch.cat([a, b])
    inner = torch.quantile(pooled, torch.linspace(0, 1, HISTOGRAM_BINS + 1)[1:-1])
    count_a = torch.bincount(torch.bucketize(a, inner), minlength=HISTOGRAM_BINS)
    count_b = torch.bincount(torch.bucketize(b, inner), minlength=HISTOGRAM_BINS)
    says = count_b * len(a) > count_a * len(b)
    return lambda readings: says[torch.bucketize(readings, inner)]


def paired_differences(
    fit_a: list[Tensor], fit_b: list[Tensor], score_a: list[Tensor], score_b: list[Tensor]
) -> Tensor:
    """Per scored input i: says_B(moved x_i) - says_B(x_i), in {-1, 0, 1}.

    Each list holds the candidate readings (one tensor each) of the same inputs, unmoved (a) or
    moved (b). The classifier is fitted on the fit inputs over the reading that separates them
    best (the choice sees only fit data, so the scored differences stay unbiased). The mean
    difference estimates the classifier's TV between the data and the moved data: accuracy
    (1 + mean) / 2. Scoring each input both ways (paired) uses every input twice and cancels
    what the input itself contributes to both answers.
    """
    best, best_fit = 0, -1
    for s, (a, b) in enumerate(zip(fit_a, fit_b, strict=True)):
        says_b = histogram_classifier(a, b)
        fit_right = int((~says_b(a)).sum()) + int(says_b(b).sum())
        if fit_right > best_fit:
            best, best_fit = s, fit_right
    says_b = histogram_classifier(fit_a[best], fit_b[best])
    return says_b(score_b[best]).long() - says_b(score_a[best]).long()


Readings = tuple[list[Tensor], list[Tensor]]


def cross_fitted_folds(first: Readings, second: Readings) -> tuple[Tensor, Tensor]:
    """The paired differences of each held-out split, scored by the classifier fitted on the
    other. The two folds' sums are correlated (each fold's classifier was fitted on the other's
    inputs), so their tests are combined by ``combined_p``, not pooled into one."""
    return paired_differences(*first, *second), paired_differences(*second, *first)


def combined_p(p_values: list[float]) -> float:
    """Bonferroni over the folds, k * min p: valid whatever the folds' dependence (a pooled sign
    test over two cross-fitted folds had size 0.07 at 0.05)."""
    return min(1.0, len(p_values) * min(p_values))


def cross_fitted(
    first: tuple[list[Tensor], list[Tensor]], second: tuple[list[Tensor], list[Tensor]]
) -> Tensor:
    """Paired differences of both held-out splits, each scored by the classifier fitted on the
    other (every held-out input is scored once, by a classifier that never saw it)."""
    return torch.cat([paired_differences(*first, *second), paired_differences(*second, *first)])


def sign_test_p(differences: Tensor) -> float:
    """Exact one-sided p-value of H0 "moving changes nothing": under it a pair (x, x moved by a
    random +-step) is exchangeable, so a nonzero difference is +1 or -1 with equal chance."""
    up, nonzero = int((differences > 0).sum()), int((differences != 0).sum())
    return _binomial_tail(up, nonzero) if nonzero else 1.0


def mean_below_p(differences: Tensor, threshold: float) -> float:
    """One-sided p-value of H0 "the mean difference (the TV) is at least ``threshold``": a
    t-test on the inputs' differences (independent, bounded: the central limit holds well at
    the hundreds of inputs a held-out split has)."""
    from scipy.special import stdtr  # Student's t CDF (scipy.stats's own), only when a test runs

    n = len(differences)
    values = differences.double()
    mean, spread = float(values.mean()), float(values.std()) if n > 1 else 0.0
    if spread == 0.0:  # every input answered alike: the mean is exact
        return 0.0 if mean < threshold else 1.0
    return float(stdtr(n - 1, (mean - threshold) / (spread / math.sqrt(n))))


def mean_above_p(differences: Tensor, threshold: float) -> float:
    """One-sided p-value of H0 "the mean difference is at most ``threshold``" (the t-test of
    ``mean_below_p`` mirrored)."""
    return mean_below_p(-differences, -threshold)


def upper_bound(differences: Tensor, level: float) -> float:
    """One-sided upper confidence bound (confidence 1 - level) on the mean difference: the
    threshold at which ``mean_below_p`` equals ``level``."""
    from scipy.special import stdtrit  # Student's t quantile (scipy.stats's own)

    n = len(differences)
    values = differences.double()
    mean = float(values.mean()) if n else 0.0
    spread = float(values.std()) if n > 1 else 0.0
    if n < 2:
        return 1.0
    return mean + float(stdtrit(n - 1, 1 - level)) * spread / math.sqrt(n)


def accuracy_p(correct: int, n: int) -> float:
    """Exact one-sided p-value of ``correct`` right answers out of ``n`` under H0: accuracy 1/2
    (a classifier fitted on other data cannot beat a coin on two equal distributions)."""
    return _binomial_tail(correct, n)


def _binomial_tail(k: int, n: int) -> float:
    """P(X >= k) for X ~ Binomial(n, 1/2). scipy.special's bdtrc gives scipy.stats's binom.sf
    without importing scipy.stats (half a second of every process that runs a data test)."""
    from scipy.special import bdtrc  # only when a test runs

    return float(bdtrc(k - 1, n, 0.5))
