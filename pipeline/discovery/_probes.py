"""Probes: for each generator of a group, how to move data along it and a grid of test steps.

A continuous generator L moves data by exp(t L); a discrete generator g by its powers. Grids of
positive steps (the tests compare the data with the data moved by +-step):

    periodic generators (exp(2 pi L) = I: rotations)   15, 30, 60, 90, 120, 150, 180 degrees
                                                       (3D turns rx, ry, rz from 30 degrees),
                                                       powers of the 15-degree element (the
                                                       multiples of 30 degrees stay on the grid)
    other continuous generators                        3, 6, ..., 18 twelfths of the natural
                                                       range (1/8 .. 3/4 of an image side,
                                                       factors 2^(1/4) ... 2^(3/2))
    discrete generators of order n                     every power 1..n/2 (at most 16, spaced
                                                       geometrically beyond that)

The grid is fine where TV curves rise (the first steps) and coarse where they have saturated. The
first step is the *resolution*: presence means the data extend beyond it (see ``_test``), so the
smallest extent the test resolves is 15 degrees for planar rotations (a +-30 degree tilt is
placed), 30 degrees for turns of 3D point sets about an axis,
and a quarter of the natural range for other continuous generators: 1/8 of an image side, a
factor 2^(1/4); a discrete generator resolves whole powers. A translation step of 1/24 of the
side placed digits moved within +-1/16 of the side (extent 0.086-0.089 in three seeds), but
also read the position spread of digits turned about the canvas centre (their centre of mass
sits off it by about a pixel) as a partial translation, in 6 of 20 verdicts of turned digits
that the held-out suites call absent; and point clouds' sizes and positions read as partial
zooms, shears and shifts at 1/12 of the range. The linear grid keeps its quarter-range first
step.

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
from dataclasses import dataclass

import torch
from torch import Tensor

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
