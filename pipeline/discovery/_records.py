"""The discovery test's settings and its answer per generator (shared by its modules)."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor

# A continuous generator is present when the data extend beyond the first grid step: TV at that
# step below 1/2, where the extent is defined (the first step is the resolution, see _probes).
EXTENT_TV = 0.5
# ... and the extent fitted to the whole curve must clear the first step by this factor. A
# reader's TV at the first step is a lower bound, lowest where the data's own pose varies
# (digits translated within +-0.2 of the side read TV 0.22 at 15 degrees but 0.75 at 30: a
# fitted extent of 16 degrees, the digits' natural slant, not a symmetry); the whole curve
# places such data at the resolution, and a partial symmetry a user would name lies well
# beyond it (+-30 degrees: twice the rotation's first step).
RESOLVED = 1.25


@dataclass(frozen=True)
class TestConfig:
    """Settings of the test; defaults keep it to seconds per generator on a CPU core."""

    __test__ = False  # not a pytest class

    alpha: float = 0.05  # level of the presence test, family-wise over the group (Holm)
    epochs: int = 80  # reader training epochs: 40 left digits rotations blurred (extents +40%)
    # Each training input is moved along one probe, so a head learns from 1/k of the moves of a
    # k-generator group: at least this many epochs per probe (a rotation head sharing 80 epochs
    # with four translations and zooms read digits turned within +-60 degrees as a blur).
    epochs_per_probe: int = 32
    batch_size: int = 128
    lr: float = 3e-3
    max_train: int = 1500  # training inputs used (a random subset beyond this)
    max_held_out: int = 1000  # validation / test inputs used
    seed: int = 0
    # Directions of the algebra proposed from the training split and tested beside the basis
    # (pipeline/discovery/_directions.py); None: DIRECTIONS where the candidate has at least two
    # continuous generators, else 0.
    directions: int | None = None
    # Equivalence margin of a discrete generator: present when the upper confidence bound of
    # the TV between the data and the data moved by it lies below this. A whole symmetry reads
    # TV ~ 0 and data moved wholly out of themselves TV ~ 1; digits mirrored read 0.4-0.8 (the
    # symmetric 0, 1 and 8 lower it), so the margin sits well below 1/2: a quarter of the data
    # may be told apart from their mirror images and the generator still counts as a symmetry.
    margin: float = 0.25


@dataclass
class Verdict:
    """The test's answer for one generator."""

    generator: str
    present: bool
    p_value: float  # against "absent": small means evidence that the symmetry is present
    extent: float  # in ``unit``: the fitted uniform spread (the grid's end when whole)
    unit: str
    full: bool  # the data extend over the whole (compact or finite) generator
    invariance_p: float  # exact C2ST p-value at the first grid step (H0: no difference)
    magnitudes: list[float] = field(default_factory=list)
    tv: list[float] = field(default_factory=list)  # estimated total variation per magnitude
    visibility_p: float = 0.0  # the positive control (H0: the reader cannot see the move)
    note: str | None = None  # why the verdict is undecided (present is then False)
    extent_error: float | None = None  # |ln(extent / declared support)| where declared
    seconds: float = 0.0
    tv_error: list[float] = field(default_factory=list)  # standard error of each tv
    # The largest proper cyclic subgroup of the generator's own group (its powers; for a
    # rotation, the 30-degree grid's) found invariant where the generator is not present:
    # its order and its name (C3 inside C6 or SO2); None where none (_subgroups.py).
    invariant_order: int | None = None
    subgroup: str | None = None
    matrix: Tensor | None = None  # a proposed direction's (d, d) matrix; None for the basis
    tv_upper: list[float] = field(default_factory=list)  # upper confidence bound per magnitude
    threshold: float = EXTENT_TV  # presence: tv_upper at the first step below this
    control_tv: float = 0.0  # the positive control's TV (marked pairs, moved by the control step)
    # A discrete move's TV read by its own binary reader (``_confirm``), where one was trained
    confirm_tv: float | None = None
    # The extent's lower confidence bound (bootstrap over the scored inputs; continuous
    # generators whose extent is not the whole circle), in ``unit``
    extent_lower: float | None = None
