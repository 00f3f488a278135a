"""Extents from exact TV curves, no training: data spread uniformly over +-E along a generator
give a known TV per step, and the fitted extent must give E back (within a factor 1.5 for the
rotations the old "where TV reaches 1/2" rule got wrong: +-120 read 59, +-150 read whole)."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.discovery import probes
from pipeline.discovery._extent import fitted_extent, is_full
from pipeline.groups import get_group

ROTATION = probes(get_group("SO2"), "image")[0]
TRANSLATION = {p.generator: p for p in probes(get_group("T2"), "image")}["tx"]


def _arc_tv(t: float, extent: float, circle: float = 360.0) -> float:
    """TV between the uniform arc +-extent on a circle and the arc moved by t."""
    return min(t, circle - 2 * extent, 2 * extent) / (2 * extent)


@pytest.mark.parametrize("extent", [90.0, 120.0, 150.0])
def test_wide_rotations_come_out_within_a_factor_1_5(extent):
    tv = [_arc_tv(t, extent) for t in ROTATION.magnitudes]
    found = fitted_extent(list(ROTATION.magnitudes), tv, 360.0)
    assert extent / 1.5 <= found <= extent * 1.5
    assert not is_full(found, 360.0)


@given(st.floats(10.0, 170.0))
@settings(max_examples=40, deadline=None)
def test_any_arc_gives_its_extent_back(extent):
    tv = [_arc_tv(t, extent) for t in ROTATION.magnitudes]
    found = fitted_extent(list(ROTATION.magnitudes), tv, 360.0)
    assert extent / 1.5 <= found <= extent * 1.5


@given(st.floats(0.08, 0.3), st.floats(0.6, 1.0))
@settings(max_examples=40, deadline=None)
def test_on_a_line_a_reader_ceiling_does_not_bias_the_extent(extent, ceiling):
    # A reader that places only a share c of the inputs reads c times the TV; on a line the
    # plateau shows c. (On a circle a ceiling c and a wider arc can draw the same curve:
    # +-69 degrees read at c = 0.625 match +-110 read perfectly; the fit then takes c = 1.)
    tv = [ceiling * min(1.0, t / (2 * extent)) for t in TRANSLATION.magnitudes]
    found = fitted_extent(list(TRANSLATION.magnitudes), tv, None)
    assert extent / 1.5 <= found <= extent * 1.5


def test_a_whole_circle_is_full():
    found = fitted_extent(list(ROTATION.magnitudes), [0.0] * 7, 360.0)
    assert found == pytest.approx(180.0) and is_full(found, 360.0)


@pytest.mark.parametrize("extent", [0.08, 0.1, 0.25, 0.5])
def test_translations_on_a_line(extent):
    tv = [min(1.0, t / (2 * extent)) for t in TRANSLATION.magnitudes]
    assert fitted_extent(list(TRANSLATION.magnitudes), tv, None) == pytest.approx(extent, rel=0.05)


def test_a_discrete_generator_on_its_cycle():
    # shift16: powers 1..8 of one position; data shifted uniformly over 5 positions (+-2.5)
    shift = probes(get_group("shift16"), "sequence")[0]
    tv = [_arc_tv(k, 2.5, circle=16.0) for k in shift.magnitudes]
    assert fitted_extent(list(shift.magnitudes), tv, 16.0) == pytest.approx(2.5, rel=0.05)
    assert math.isclose(fitted_extent(list(shift.magnitudes), [0.0] * 8, 16.0), 8.0)
