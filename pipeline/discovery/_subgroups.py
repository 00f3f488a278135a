"""The largest invariant cyclic subgroup of each generator that is not present.

The test moves the data by every power k of a discrete generator g of order n (1..n/2; -k is
the same move read both ways) and, for a rotation, by every multiple of 30 degrees, the powers
of the 30-degree element (order 12). The cyclic subgroup <g^d> (d a divisor of n) has order
n / d and holds the powers d, 2d, ...; the data are invariant under it when moving them by each
of those powers leaves them within the equivalence margin of themselves. That is a presence-
style claim, resting on evidence of small TV, never on a failure to tell moved from unmoved:

    H0(k): TV_k >= margin   (the data moved by g^k are not within the margin of themselves)

is rejected by a one-sided z-test on TV_k with its standard error (the mean of hundreds of
bounded paired differences: the normal approximation holds well). Holm's procedure over every
(generator, power) examined bounds the chance that any power wrongly reads invariant by alpha,
so the named subgroup is wrong with probability at most alpha. A subgroup is named only where
every one of its powers reads invariant (an intersection-union test: no further correction)
and where the test's positive control says the reader can see the generator at all (a blind
reader reads every power as invariant).

The margin is the test's own for a discrete generator's presence (``TestConfig.margin``): a power
that reads invariant here would have made that generator present.

A reader's TV is a lower bound, and the positive control sees the first step only: the test's
reader, placing every bin at once, read digits translated about the canvas as invariant under
a half turn (TV 0.04-0.12 at 180 degrees; 0, 1 and 8 look alike, the rest do not), a false C2.
So every power that reads invariant is read again by a reader trained on that move alone
(``_confirm``: TV 0.67 on those digits), which vetoes it where it shows the TV above the margin
(a veto only drops claims: the level stands).

Digits turned by k * 120 degrees under C6: powers 1, 2, 3 of rot6 read TV 0.9, 0.2, 0.9; power
2 and its multiple 4 (= -2) are invariant, so the verdict names C3 (rot6^2). Under SO2, the
powers 4 and 8 (120 and 240 degrees) of the 30-degree element: C3 again.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from torch import Tensor

from pipeline.discovery._confirm import vetoes
from pipeline.discovery._probes import Probe
from pipeline.discovery._records import Verdict


def name_invariant_subgroups(
    verdicts: list[Verdict],
    found: list[Probe],
    alpha: float,
    margin: float = 0.25,
    confirm: Callable[[int, int], Tensor] | None = None,
) -> None:
    """Set ``invariant_order`` and ``subgroup`` of the verdicts (the first ``len(found)``, one
    per probe) whose generator is absent but a proper cyclic subgroup of it is invariant.
    ``confirm(i, j)``: paired differences of a second reader of probe i's step j (the module
    docstring); None trusts the first reader alone."""
    examined = [
        (i, probe)
        for i, (verdict, probe) in enumerate(zip(verdicts, found, strict=False))
        if _examinable(verdict, probe, alpha)
    ]
    hypotheses = [
        (i, j, int(k), _equivalence_p(verdicts[i].tv[j], verdicts[i].tv_error[j], margin))
        for i, probe in examined
        for j, k in enumerate(probe.steps)
    ]
    invariant = _holm([p for *_, p in hypotheses], alpha)
    powers: dict[int, set[int]] = {}
    for (i, j, k, _), holds in zip(hypotheses, invariant, strict=True):
        if holds and not (confirm is not None and vetoes(confirm(i, j), margin, alpha)):
            powers.setdefault(i, set()).add(k)
    for i, probe in examined:
        order = largest_invariant_order(
            int(probe.limit), powers.get(i, set()), whole=probe.mode == "periodic"
        )
        if order is not None:
            verdicts[i].invariant_order = order
            verdicts[i].subgroup = _name(probe, order)


def _examinable(verdict: Verdict, probe: Probe, alpha: float) -> bool:
    """Absent, finite or periodic, its TVs measured, and seen by the reader."""
    return (
        probe.mode != "linear"
        and not verdict.present
        and verdict.visibility_p <= alpha
        and len(verdict.tv_error) == len(verdict.tv) == len(probe.steps)
    )


def _equivalence_p(tv: float, error: float, margin: float) -> float:
    """One-sided p-value of H0 "TV >= margin" (a z-test; exact when every difference agreed)."""
    if error <= 0.0:
        return 0.0 if tv < margin else 1.0
    return 0.5 * math.erfc((margin - tv) / (error * math.sqrt(2)))


def _holm(p_values: list[float], alpha: float) -> list[bool]:
    """Holm's step-down rejections at family-wise level alpha."""
    rejected = [False] * len(p_values)
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    for rank, i in enumerate(order):
        if p_values[i] > alpha / (len(p_values) - rank):
            break
        rejected[i] = True
    return rejected


def largest_invariant_order(order: int, invariant: set[int], whole: bool) -> int | None:
    """The order of the largest cyclic subgroup <g^d> of <g> (g of order ``order``) whose every
    power, folded to 1..order/2, is in ``invariant``; None where only the trivial one is.

    ``whole``: d = 1 is allowed (g is a grid element of a continuous rotation: all of its
    powers invariant still names a finite group, C12); for a discrete generator d = 1 would be
    the generator itself, which is the presence test's question."""
    for d in range(1 if whole else 2, order):
        if order % d:
            continue
        multiples = {min(m * d % order, order - m * d % order) for m in range(1, order // d)}
        if multiples <= invariant:
            return order // d
    return None


def _name(probe: Probe, order: int) -> str:
    """C<m> for rotations, else the generating power (shift16^4, or rot/12 style for others)."""
    if probe.unit == "degrees":
        return f"C{order}"
    d = int(probe.limit) // order
    return f"{probe.generator}^{d}"
