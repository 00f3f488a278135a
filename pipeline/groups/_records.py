"""What each generator is, as data: a record built by the family that makes the generator.

Code that needs to know what a generator does (its robustness grid and unit, whether SymPE can
enumerate it on a lattice) reads its record instead of parsing its name, so it works for groups
the catalog never named. Membership questions ("does H contain this generator") are answered
from the matrices instead (``pipeline.groups._relations``).

Grids (how the robustness grid steps along the generator, see ``pipeline.data.shift_grid``):

    angle        0..180 degrees in 15 degree steps          (rotations)
    translation  0..0.5 of the side; lattices: whole sites  (translations)
    factor       factors 1.0..2.0 in steps of 0.1            (scalings, stretches, shears)
    coefficient  coefficients 0..range in 10 steps          (anything else continuous)
    turn         powers 0..n/2, reported in degrees         (discrete rotations)
    positions    powers 0..N/2, reported in positions       (cyclic shifts)
    power        powers 0..order/2                          (anything else discrete)
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.kinds import kind_record

LIE_GRIDS = ("angle", "translation", "factor", "coefficient")
DISCRETE_GRIDS = ("turn", "positions", "power")
UNITS = {
    "angle": "degrees",
    "translation": "side",
    "factor": "factor",
    "coefficient": "coefficient",
    "turn": "degrees",
    "positions": "positions",
    "power": "power",
}
SITE_UNITS = {"translation": "sites"}  # the unit where the data's moves go by whole sites


@dataclass(frozen=True)
class GeneratorRecord:
    """One generator's meaning.

    Attributes:
        kind: rotation, translation, scale, stretch, shear, mirror, inversion, permutation,
            shift, flip, learned or other.
        grid: how the robustness grid steps along it (see the module docstring).
        axis: the coordinate axis it acts along or about (x, y, z), where it has one.
        step: for cyclic shifts, positions moved per power of the generator.
    """

    kind: str
    grid: str
    axis: str = ""
    step: int = 1

    def unit(self, data_kind: str = "") -> str:
        """The unit of the grid's magnitudes on data of ``data_kind``."""
        if data_kind and self.grid in SITE_UNITS and kind_record(data_kind).whole_sites:
            return SITE_UNITS[self.grid]
        return UNITS[self.grid]

    @property
    def continuous(self) -> bool:
        return self.grid in LIE_GRIDS


def rotation(axis: str = "") -> GeneratorRecord:
    return GeneratorRecord("rotation", "angle", axis)


def translation(axis: str) -> GeneratorRecord:
    return GeneratorRecord("translation", "translation", axis)


def scaling(kind: str = "scale", axis: str = "") -> GeneratorRecord:
    """Isotropic scale, axis stretch, area-preserving stretch or shear: grids of factors."""
    return GeneratorRecord(kind, "factor", axis)


def turn() -> GeneratorRecord:
    """A discrete rotation (rot<n>): its powers are reported in degrees."""
    return GeneratorRecord("rotation", "turn")


def discrete(kind: str) -> GeneratorRecord:
    """A discrete generator stepped by its powers (mirror, inversion, permutation, flip)."""
    return GeneratorRecord(kind, "power")


def cyclic_shift(step: int = 1) -> GeneratorRecord:
    return GeneratorRecord("shift", "positions", step=step)


LEARNED = GeneratorRecord("learned", "coefficient")
OTHER_LIE = GeneratorRecord("other", "coefficient")
OTHER_DISCRETE = GeneratorRecord("other", "power")


def check_records(
    name: str, records: tuple[GeneratorRecord, ...], count: int, grids: tuple[str, ...], what: str
) -> None:
    """One record per generator, each with a grid of the right sort."""
    if len(records) != count:
        raise ValueError(f"{name}: need one record per {what} generator")
    for record in records:
        if not isinstance(record, GeneratorRecord) or record.grid not in grids:
            raise ValueError(
                f"{name}: a {what} generator's record needs a grid in "
                f"{', '.join(grids)}, got {record!r}"
            )
