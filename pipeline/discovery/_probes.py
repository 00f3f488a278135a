"""Probes: for each generator of a group, how to move data along it and a grid of test steps.

A continuous generator L moves data by exp(t L); a discrete generator g by its powers. Grids of
positive steps (the tests compare the data with the data moved by +-step):

    periodic generators (exp(2 pi L) = I: rotations)   15, 30, 60, 90, 120, 150, 180 degrees
                                                       (3D turns rx, ry, rz from 30 degrees),
                                                       powers of the 15-degree element (the
                                                       multiples of 30 degrees stay on the grid)
    other continuous generators                        3, 6, ..., 18 twelfths of the natural
                                                       range (factors 2^(1/4) ... 2^(3/2))
    translations of images (their own reader)          1, 2, 3, 6, 12 and 18 24ths of the side
    discrete generators of order n                     every power 1..n/2 (at most 16, spaced
                                                       geometrically beyond that)

The grid is fine where TV curves rise (the first steps) and coarse where they have saturated.
Presence means the data extend beyond the test's *resolution* (see ``_test``), the smallest
extent it claims:

    planar rotations                 RESOLVED first steps: 18.75 degrees (a +-30 degree tilt
                                     is placed)
    turns of 3D point sets           37.5 degrees about an axis
    translations of images           RESOLVED first steps of 1/24 of the side (0.052 of the
                                     side; 1.25 steps of 1/8, 0.156, where the reader learns
                                     from fewer than FINE_TRAIN = 400 inputs or for fewer than
                                     FINE_EPOCHS = 40 epochs)
    other continuous generators      RESOLVED quarter ranges (a factor 2^(5/16) for zooms)
    discrete generators              whole powers

Image translations start at 1/24 of the side, finer than the other linear grids, and are read
by a reader of their own (``fine_probe``; ``_test.measure``): a reader shared with the group's
other generators, trained on the fine translation bins too, lost the mirror of never-warped
textures in 2 of 4 seeds (its positive control's TV fell from 0.20-0.58 to 0.11-0.31), so the
shared reader keeps the quarter-range translation grid and its verdicts are replaced. Every
continuous generator's claim must clear its bar with confidence: the bootstrap p-value of "the
extent is at most the bar" (inputs drawn with replacement; ``extent_lower`` is the bound), not
the fitted extent alone, which lands above a bar the data reach by chance half the time.
Translations of images are
band-limited shifts, with no sub-pixel jitter (``_resample.translate``), so what a reader reads
is the data's own spread. Fitted extents, seeds 0-1, MIN_SIDE_EXTENT = 0.052:

    data without a translation               digits upright, turned, by thirds, on a small
                                             canvas: 0.023-0.036; shapes drawn centred: 0.005
    moved within +-1/16 of the side          digits 0.078-0.086 (lower bounds 0.075-0.080),
                                             shapes drawn there, 28 x 28 and 64 x 64 RGB:
                                             0.069-0.076 (lower bounds 0.066-0.072)

With bilinear warps each arm carried two jittered warps (+-1 pixel of spread of their own) and
the same data read 0.039-0.068 and 0.073-0.11: no bar separated them. A weak reader reads every
extent wider, so the fine bar needs a reader trained on FINE_TRAIN inputs or more for
FINE_EPOCHS epochs or more, else the bar is COARSE_SIDE_EXTENT, 1.25 steps of 1/8 of the side:
200 shapes drawn centred read up to 0.067 (lower bound 0.054); turned digits read lower bounds
0.054, 0.048, 0.036 and 0.032 after 10, 20, 40 and 80 epochs (upright 1,000 digits after one
epoch: ty 0.082), while digits within +-1/16 read 0.079-0.082 from 10 epochs on. The positive
control of a translation moves by 1/8 of the side (``Probe.control_step``): at the first step,
with the jittered warps of before, a trained reader placed marked inputs at TV 0.15 only, which
would leave a present translation undecided.

Lattice translations move whole sites, so they are probed as discrete generators.

Every probe is *binned*: the reader gives a posterior over the powers of one element (for
continuous generators without a period, of one grid step, both ways), not a point estimate of
the move. The posterior answers the test's own question (how likely is x moved by +-k steps,
against unmoved?) more sharply than a regression over the whole range, whose error at small
moves would read as spread. A point estimate (cos, sin) of a rotation is also blind to
data with a finite symmetry along the generator (a rod turned by a half turn is the same rod: its
mean cos and sin are 0 at every angle), and a blind reader would make any data look invariant;
a posterior over the bins keeps both modes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from torch import Tensor

from pipeline.discovery._records import RESOLVED
from pipeline.groups import Group
from pipeline.kinds import kind_record

# The first step is the test's resolution: data spread along a generator by less than a step
# read as absent. It sits at about the natural variation of real data (handwritten digits: slants
# of about 10 degrees, positions within a pixel, sizes within ~5%), which no test of the data
# distribution can tell from a symmetry, and below the partial symmetries a user would name
# (+-30 degrees).
PERIODIC_ORDER = 24  # bins of 15 degrees
PERIODIC_POWERS = (1, 2, 4, 6, 8, 10, 12)  # 15, 30, 60, ..., 180 degrees
# Turns of 3D point sets about one axis start at 30 degrees: readers placed 3D letters tilted by
# 15 degrees about a perpendicular axis below TV 1/2 (spin_z, spin_x: ry read as present).
SPACE_POWERS = (2, 4, 6, 8, 10, 12)
LINEAR_BASE_PER_RANGE = 12  # the linear element: 1/12 of the natural range
LINEAR_POWERS = (3, 6, 9, 12, 15, 18)  # a quarter range .. 1.5 natural ranges
# Image translations start at 1/24 of the side (a pixel or two) and claim a spread only beyond
# MIN_SIDE_EXTENT, with confidence, where the reader learns from FINE_TRAIN inputs or more (else
# beyond COARSE_SIDE_EXTENT); their positive control moves by 1/8 of the side (CONTROL_POWER),
# which a trained reader sees in any image, whatever the first step (see the module docstring).
IMAGE_TRANSLATION_POWERS = (1, 2, 3, 6, 12, 18)
MIN_SIDE_EXTENT = RESOLVED / 24  # 1.25 first steps, as for the other generators
COARSE_SIDE_EXTENT = RESOLVED / 8  # 1.25 steps of 1/8 of the side
FINE_TRAIN = 400
FINE_EPOCHS = 40
CONTROL_POWER = 3
MAX_POWERS = 16


@dataclass(frozen=True)
class Probe:
    """One generator's grid.

    Attributes:
        generator: the generator's name in the group.
        mode: ``linear`` (powers of exp(base L), positive and negative), ``periodic`` (powers
            of the 15-degree element exp(pi/12 L)) or ``discrete`` (powers of the generator).
        unit: unit of ``magnitudes`` (degrees, side, units, sites, factor, positions, power,
            coefficient).
        magnitudes: the positive grid steps in that unit, ascending.
        steps: the same steps as coefficients t (linear) or powers k (periodic, discrete).
        limit: linear: the largest |t| (the end of the grid); periodic and discrete: the order
            of ``element``.
        direction: (lie_dim,) coefficient vector of the generator (continuous modes).
        element: (d, d) the element whose powers are read (1/12 of the natural range, for
            linear probes).
        log_scale: magnitudes are factors, compared on a log scale.
    """

    generator: str
    mode: str
    unit: str
    magnitudes: tuple[float, ...]
    steps: tuple[float, ...]
    limit: float
    direction: Tensor | None = None
    element: Tensor | None = None
    log_scale: bool = False
    bin_powers: tuple[int, ...] = ()  # the powers the reader tells apart, 0 first
    powers: tuple[int, ...] = ()  # the power of ``element`` each grid step moves by
    control_step: int = 0  # the grid step the positive control moves marked inputs by
    min_extent: float = 0.0  # the smallest extent claimed (0: RESOLVED first steps)

    @property
    def whole(self) -> bool:
        """The grid covers the whole generator: reaching its end means the full symmetry."""
        return self.mode != "linear"

    @property
    def outputs(self) -> int:
        """Reader outputs: logits over the bins."""
        return len(self.bin_powers)

    def power(self, j: int) -> int:
        """The power of ``element`` that grid step j moves by."""
        return self.powers[j] if self.powers else int(self.steps[j])

    def bin_of(self, power: int) -> int:
        """The bin of a power (powers of a finite element wrap around its order)."""
        return self.bin_powers.index(power if self.mode == "linear" else power % int(self.limit))

    def bins_of_step(self, j: int) -> list[int]:
        """The bins of +-(step j)."""
        return sorted({self.bin_of(self.power(j)), self.bin_of(-self.power(j))})

    def size(self, magnitude: float) -> float:
        """The magnitude as a size (log of a factor), for extent errors."""
        return math.log(magnitude) if self.log_scale else magnitude


def probes(group: Group, kind: str, lattice_side: int = 0) -> list[Probe]:
    """A probe per generator of ``group`` (algebra generators first, then discrete ones)."""
    found = []
    for i, (name, natural) in enumerate(zip(group.lie_names, group.lie_ranges, strict=True)):
        found.append(_lie_probe(group, i, name, natural, kind, lattice_side))
    for name, element, order in zip(
        group.discrete_names, group.discrete_generators, group.generator_orders, strict=True
    ):
        found.append(_discrete_probe(name, element, order))
    return found


def fine_probe(probe: Probe, train: int, epochs: int = FINE_EPOCHS) -> Probe | None:
    """The fine grid of an image translation's probe (None for other probes): steps from 1/24
    of the side, a claim beyond MIN_SIDE_EXTENT (COARSE_SIDE_EXTENT where the reader learns
    from fewer than FINE_TRAIN inputs or for fewer than FINE_EPOCHS epochs), the positive
    control at 1/8 of the side. The element is the coarse probe's (1/24 of the side), only its
    powers change."""
    if probe.unit != "side":
        return None
    powers = IMAGE_TRANSLATION_POWERS
    base_step, base_magnitude = (
        probe.steps[0] / probe.powers[0],
        probe.magnitudes[0] / probe.powers[0],
    )
    return replace(
        probe,
        magnitudes=tuple(base_magnitude * k for k in powers),
        steps=tuple(base_step * k for k in powers),
        limit=base_step * powers[-1],
        bin_powers=(0, *(k * sign for k in powers for sign in (1, -1))),
        powers=powers,
        control_step=powers.index(CONTROL_POWER),
        min_extent=(
            MIN_SIDE_EXTENT if train >= FINE_TRAIN and epochs >= FINE_EPOCHS else COARSE_SIDE_EXTENT
        ),
    )


def _lie_probe(group: Group, i: int, name: str, natural: float, kind: str, side: int) -> Probe:
    direction = torch.zeros(group.lie_dim, dtype=group.dtype)
    direction[i] = 1.0
    base = name.split(".")[-1]
    if base in ("tx", "ty") and kind_record(kind).whole_sites and side:
        site = group.exp(direction * (2.0 / side))  # whole sites, periodic
        probe = _discrete_probe(name, site, side)
        return Probe(**{**probe.__dict__, "unit": "sites"})
    if _is_periodic(group, direction):
        order = PERIODIC_ORDER
        element = group.exp(direction * (2 * math.pi / order))
        powers = SPACE_POWERS if base in ("rx", "ry", "rz") else PERIODIC_POWERS
        degrees = tuple(360.0 * k / order for k in powers)  # exp(2 pi L) = I: t in radians
        return Probe(
            name,
            "periodic",
            "degrees",
            degrees,
            tuple(float(k) for k in powers),
            float(order),
            direction=direction,
            element=element,
            bin_powers=tuple(range(order)),
            powers=powers,
        )
    unit, convert = _lie_unit(base, kind)
    base_step = natural / LINEAR_BASE_PER_RANGE
    powers = LINEAR_POWERS
    steps = [base_step * k for k in powers]
    bins = (0, *(k * sign for k in powers for sign in (1, -1)))
    return Probe(
        name,
        "linear",
        unit,
        tuple(convert(t) for t in steps),
        tuple(steps),
        steps[-1],
        direction=direction,
        element=group.exp(direction * base_step),
        log_scale=unit == "factor",
        bin_powers=bins,
        powers=powers,
    )


def _is_periodic(group: Group, direction: Tensor) -> bool:
    turn = group.exp(direction * 2 * math.pi)
    return bool(torch.allclose(turn, torch.eye(group.dim, dtype=group.dtype), atol=1e-6))


def _lie_unit(base: str, kind: str):
    if base in ("rot", "rx", "ry", "rz"):
        return "degrees", math.degrees
    if base in ("tx", "ty") and kind_record(kind).translation_in_sides:
        return "side", lambda t: t / 2  # the image side spans 2 units
    if base in ("tx", "ty"):
        return "units", lambda t: t
    if base in ("scale", "stretch", "shear"):
        return "factor", math.exp
    return "coefficient", lambda t: t


def _discrete_probe(name: str, element: Tensor, order: int) -> Probe:
    powers = _powers(order)
    base = name.split(".")[-1]
    if base.startswith("rot"):
        unit, magnitudes = "degrees", [360.0 * k / order for k in powers]
    elif base.startswith("shift"):
        unit, magnitudes = "positions", [float(k) for k in powers]
    else:
        unit, magnitudes = "power", [float(k) for k in powers]
    bins = sorted({0} | {k for p in powers for k in (p, (order - p) % order)})
    return Probe(
        name,
        "discrete",
        unit,
        tuple(magnitudes),
        tuple(float(k) for k in powers),
        float(order),
        element=element,
        bin_powers=tuple(bins),
    )


def _powers(order: int) -> list[int]:
    half = order // 2
    if half <= MAX_POWERS:
        return list(range(1, half + 1))
    return sorted({round(half ** (j / (MAX_POWERS - 1))) for j in range(MAX_POWERS)})
