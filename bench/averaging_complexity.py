"""Averaging complexity on cyclic groups C_N (Tahmasebi & Weber 2025), on fixed averaging sets.

A trial averages over one fixed set g_1..g_k, drawn once from its seed by the group's own
sampler (``shift<N>`` in float32, as trials hold it). The worst non-trivial Fourier mode of that
set is r*(k) = max_{m != 0} |(1/k) sum_j exp(-2 pi i m g_j / N)|^2. k*(N, eps) is the smallest
k whose set (the first k elements of one seeded draw) has r*(k) <= eps, median over seeds. Exact
invariance needs k = N; approximate invariance should need only O(ln N / eps). Prints k* beside
N, the least-squares fit k* = a ln N + b with its R^2, k*(512, 0.1) against 512, and for each N
the share of seeds whose trial set (``group_averaging`` at the k the averaging complexity picks)
meets eps.
"""

from __future__ import annotations

import math
import statistics

import torch

from pipeline.groups import get_group
from pipeline.methods.symmetrize import group_averaging

EPSILON = 0.1
SIZES = [8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512]
DRAWS = 101


def set_shifts(elements: torch.Tensor, n: int) -> torch.Tensor:
    """The whole shifts (0..N-1) that a set of circle elements of shift<N> stands for."""
    angle = torch.atan2(elements[:, 1, 0].double(), elements[:, 0, 0].double())
    return torch.round(angle * n / (2 * math.pi)) % n


def worst_modes(shifts: torch.Tensor, n: int) -> torch.Tensor:
    """r*(k) of each prefix g_1..g_k of a set (one figure per k)."""
    modes = torch.arange(1, n, dtype=torch.float64)
    phases = torch.polar(
        torch.ones(len(shifts), n - 1, dtype=torch.float64),
        -2 * math.pi * shifts[:, None] * modes[None, :] / n,
    )
    counts = torch.arange(1, len(shifts) + 1, dtype=torch.float64)[:, None]
    return (phases.cumsum(dim=0) / counts).abs().pow(2).amax(dim=1)


def smallest_k(n: int, eps: float, seed: int) -> int:
    """First k at which the fixed set drawn from ``seed`` has every mode within eps."""
    limit = 8 * n  # generous: r* falls like 1/k
    group = get_group(f"shift{n}").to(dtype=torch.float32)
    elements = group.sample(limit, torch.Generator().manual_seed(seed))
    below = torch.nonzero(worst_modes(set_shifts(elements, n), n) <= eps)
    return int(below[0]) + 1 if len(below) else limit


def trial_set_meets(n: int, eps: float, seed: int) -> tuple[int, bool]:
    """k of a trial's averaging set at tolerance eps, and whether that set's r* is <= eps."""
    averaging = group_averaging(get_group(f"shift{n}").to(dtype=torch.float32), eps, seed)
    worst = worst_modes(set_shifts(averaging.elements, n), n)[-1]
    return averaging.k, bool(worst <= eps)


def fit(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """Least squares y = a x + b and its R^2."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    a = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    b = my - a * mx
    residual = sum((y - a * x - b) ** 2 for x, y in zip(xs, ys, strict=True))
    total = sum((y - my) ** 2 for y in ys)
    return a, b, 1 - residual / total


def main() -> None:
    medians = []
    for n in SIZES:
        k = statistics.median(smallest_k(n, EPSILON, seed) for seed in range(DRAWS))
        medians.append(k)
        trial = [trial_set_meets(n, EPSILON, seed) for seed in range(DRAWS)]
        met = sum(ok for _, ok in trial) / DRAWS
        print(
            f"k_star(N={n}, eps={EPSILON}): {k:g} (exact averaging needs {n}; ratio {k / n:.3f});"
            f" trial sets k={trial[0][0]} meet eps in {met:.0%} of seeds"
        )
    a, b, r2 = fit([math.log(n) for n in SIZES], medians)
    print(f"fit_k_star: {a:.2f} ln N + {b:.2f}")
    print(f"fit_r2: {r2:.3f} (target >= 0.95)")
    k512 = medians[SIZES.index(512)]
    print(f"k_star_512_vs_exact: {k512:g} vs 512 (ratio {k512 / 512:.3f})")


if __name__ == "__main__":
    main()
