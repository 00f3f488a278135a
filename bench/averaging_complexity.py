"""Averaging complexity on cyclic groups C_N (Tahmasebi & Weber 2025).

For iid uniform samples g_1..g_k of C_N, the worst non-trivial Fourier mode of the averaging
measure is r*(k) = max_{m != 0} |(1/k) sum_j exp(-2 pi i m g_j / N)|^2. k*(N, eps) is the
smallest k with r*(k) <= eps (median over draws). Exact invariance needs k = N; approximate
invariance should need only O(ln N / eps). Prints k* beside N, the least-squares fit
k* = a ln N + b with its R^2, and k*(512, 0.1) against 512.
"""

from __future__ import annotations

import math
import statistics

import torch

EPSILON = 0.1
SIZES = [8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512]
DRAWS = 101


def smallest_k(n: int, eps: float, rng: torch.Generator) -> int:
    """First k at which the running average of exp(-2 pi i m g / N) is within eps for all m."""
    limit = 8 * n  # generous: r* falls like 1/k
    samples = torch.randint(n, (limit,), generator=rng, dtype=torch.float64)
    modes = torch.arange(1, n, dtype=torch.float64)
    phases = torch.polar(torch.ones(limit, n - 1, dtype=torch.float64),
                         -2 * math.pi * samples[:, None] * modes[None, :] / n)  # fmt: skip
    counts = torch.arange(1, limit + 1, dtype=torch.float64)[:, None]
    worst = (phases.cumsum(dim=0) / counts).abs().pow(2).amax(dim=1)
    below = torch.nonzero(worst <= eps)
    return int(below[0]) + 1 if len(below) else limit


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
    rng = torch.Generator().manual_seed(0)
    medians = []
    for n in SIZES:
        k = statistics.median(smallest_k(n, EPSILON, rng) for _ in range(DRAWS))
        medians.append(k)
        print(f"k_star(N={n}, eps={EPSILON}): {k:g} (exact averaging needs {n}; ratio {k / n:.3f})")
    a, b, r2 = fit([math.log(n) for n in SIZES], medians)
    print(f"fit_k_star: {a:.2f} ln N + {b:.2f}")
    print(f"fit_r2: {r2:.3f} (target >= 0.95)")
    k512 = medians[SIZES.index(512)]
    print(f"k_star_512_vs_exact: {k512:g} vs 512 (ratio {k512 / 512:.3f})")


if __name__ == "__main__":
    main()
