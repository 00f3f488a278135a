"""Two-sample classification on one-dimensional readings, and its exact p-value."""

from __future__ import annotations

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


def accuracy_p(correct: int, n: int) -> float:
    """Exact one-sided p-value of ``correct`` right answers out of ``n`` under H0: accuracy 1/2
    (a classifier fitted on other data cannot beat a coin on two equal distributions)."""
    from scipy.stats import binom  # only when a test runs

    return float(binom.sf(correct - 1, n, 0.5))
