"""The extent of a symmetry from a TV curve: the uniform-spread model fitted to the grid's TVs.

Data spread uniformly over +-E along a generator and moved by t differ from themselves by

    lines (translations, zooms on a log scale)     TV(t) = min(1, t / 2E)
    circles of circumference P (rotations: 360     TV(t) = min(t, P - 2E, 2E) / 2E   (t <= P/2)
    degrees; a discrete generator of order n:
    P = n powers)

On a circle the moved arc wraps into the gap of length P - 2E, so TV saturates at (P - 2E) / 2E:
+-150 degrees never reach TV 1/2, and "where TV reaches 1/2" would call them whole, while +-120
degrees reach it only at 120. The fit reads the extent from the whole curve instead: the slope at
small t and the plateau. A reader's TV is a lower bound (a reader that cannot place a 0 turned
upside down reaches TV c < 1 there), so the model is c * TV(t) with c in [C_MIN, 1], fitted by
least squares over a fine grid of (E, c); exact TV curves give the true E
(tests/discovery/test_extent.py). On a line the plateau shows c. On a circle a ceiling and a
wider arc can draw nearly the same curve (+-69 degrees read at c = 0.625 and +-110 degrees read
perfectly); the fit then prefers c = 1, the wider arc.
"""

from __future__ import annotations

import math

import torch

C_MIN = 0.5  # a reader reaching less than half the TV of a full move cannot place the data
TIE = 1e-4  # prefers c = 1 among fits about equally good (+-120 degrees and a perfect reader
# read exactly like +-60 degrees and a reader reaching TV 1/2 at most)
# Resamples for the extent's confidence bound and p-value. Its p-values are at least 1/401, so
# Holm at alpha 0.05 can still claim every generator of a group of up to 20 (the catalog's
# largest has 6).
BOOTSTRAP = 400
FULL_SHARE = 0.9  # a circle's extent within this share of P/2 reads as the whole circle


def _model(t: torch.Tensor, extent: torch.Tensor, circle: float | None) -> torch.Tensor:
    """TV per (extent, t) of data uniform over +-extent. extent: (E, 1); t: (T,)."""
    if circle is None:
        return (t / (2 * extent)).clamp(max=1.0)
    return (torch.minimum(t, (circle - 2 * extent).clamp(min=0.0)) / (2 * extent)).clamp(max=1.0)


def fitted_extent(sizes: list[float], tv: list[float], circle: float | None) -> float:
    """The extent E (in the sizes' unit) whose uniform-spread curve, scaled by a reader ceiling
    c in [C_MIN, 1], fits the TVs best; on a circle E = P/2 is the whole circle (TV 0)."""
    t = torch.tensor(sizes, dtype=torch.float64)
    observed = torch.tensor(tv, dtype=torch.float64).clamp(0.0, 1.0)
    first, last = float(t[0]), float(t[-1])
    top = circle / 2 if circle is not None else 4 * last
    extent = torch.exp(
        torch.linspace(math.log(first / 8), math.log(top), 1200, dtype=torch.float64)
    )[:, None]
    curves = _model(t, extent, circle)  # (E, T)
    ceiling = torch.linspace(C_MIN, 1.0, 26, dtype=torch.float64)
    residual = ((ceiling[:, None, None] * curves[None] - observed) ** 2).sum(-1)  # (c, E)
    # A curve that never saturates fixes only c / E: take the reader as perfect (c = 1) then.
    residual = residual + TIE * (1.0 - ceiling)[:, None]
    best = int(residual.min(0).values.argmin())
    return float(extent[best, 0])


def is_full(extent: float, circle: float | None) -> bool:
    """A fitted extent that covers (nearly) the whole circle."""
    return circle is not None and extent >= FULL_SHARE * circle / 2


def bootstrap_extents(
    sizes: list[float],
    differences: torch.Tensor,
    circle: float | None,
    generator: torch.Generator,
    resamples: int = BOOTSTRAP,
) -> torch.Tensor:
    """The extents fitted to the TV curves of inputs drawn with replacement (resamples,).
    differences: (n, T) paired differences per scored input and grid step (each row one input,
    so a resample keeps an input's readings across the steps together)."""
    n = len(differences)
    rows = torch.randint(n, (resamples, n), generator=generator)
    curves = differences.double()[rows].mean(1).clamp(0.0, 1.0)  # (resamples, T)
    return torch.tensor([fitted_extent(sizes, c.tolist(), circle) for c in curves])


def extent_lower_bound(extents: torch.Tensor, level: float) -> float:
    """The one-sided lower confidence bound (confidence 1 - level) of the fitted extent: the
    level-quantile of the bootstrap extents (``bootstrap_extents``)."""
    return float(torch.quantile(extents, level))


def extent_p(extents: torch.Tensor, bar: float) -> float:
    """The bootstrap p-value of "the extent is at most ``bar``": the share of bootstrap extents
    at or below it, counted with the fit itself (+1) so that it is never 0."""
    return (int((extents <= bar).sum()) + 1) / (len(extents) + 1)
