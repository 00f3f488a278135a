"""A data test's repeats: their consensus, their store rows, and the same test read back."""

import math

from hypothesis import given
from hypothesis import strategies as st

from pipeline.discovery import DataTest, Verdict, data_test_id, generator_matrices
from pipeline.groups import get_group
from pipeline.sweep._datatests import stored_test
from tests.discovery.test_discovery import _waves


def _verdict(name: str, present: bool, note: str | None = None, extent: float = 4.0) -> Verdict:
    return Verdict(
        name,
        present,
        0.01 if present else 0.9,
        extent,
        "positions",
        False,
        0.5,
        [1.0, 2.0],
        [0.1, 0.2],
        note=note,
    )


@given(st.lists(st.booleans(), min_size=1, max_size=7))
def test_the_consensus_is_what_most_repeats_say_and_a_tie_is_undecided(votes):
    test = DataTest(
        "data-test-x", "shift16", list(range(len(votes))), [[_verdict("shift1", v)] for v in votes]
    )
    columns = test.consensus()["shift1"]
    yes, no = sum(votes), len(votes) - sum(votes)
    if yes == no:
        assert columns["present"] is False and columns["test_note"].startswith("undecided")
    else:
        assert columns["present"] == (yes > no) and columns["test_note"] is None
        agreeing = 0.01 if yes > no else 0.9
        assert columns["p_value"] == agreeing  # the median over the agreeing repeats


def test_undecided_repeats_do_not_vote():
    runs = [[_verdict("shift1", False, note="undecided: blind")], [_verdict("shift1", True)]]
    columns = DataTest("data-test-x", "shift16", [0, 1], runs).consensus()["shift1"]
    assert columns["present"] is True and columns["test_note"] is None


def test_rows_hold_the_tv_curve_and_matrix_and_read_back_the_same():
    group = get_group("shift16*flip")
    runs = [
        [_verdict("shift1", True), _verdict("flip", False)],
        [_verdict("shift1", True, extent=6.0), _verdict("flip", False)],
    ]
    test = DataTest("data-test-y", group.name, [0, 1], runs, generator_matrices(group), group.dim)
    rows = test.rows(_waves(0, True, n=60), 0, group)
    assert len(rows) == 4 and {r["test_seed"] for r in rows} == {0, 1}
    assert all(r["tv"] == [0.1, 0.2] and len(r["matrix"]) == group.dim**2 for r in rows)
    assert {r["discovered_group"] for r in rows} == {"shift16"}
    again = stored_test("data-test-y", rows)
    assert again.consensus() == test.consensus()
    assert again.discovered_group(group) == "shift16"
    assert math.isclose(again.consensus()["shift1"]["extent"], 5.0)


def test_the_id_names_data_candidate_and_seeds():
    spec = {"name": "digits", "transform": "SO2"}
    first = data_test_id(spec, 0, "SO2", [0])
    assert first.startswith("data-test-") and first == data_test_id(dict(spec), 0, "SO2", [0])
    others = {
        data_test_id(spec, 1, "SO2", [0]),
        data_test_id(spec, 0, "affine2", [0]),
        data_test_id(spec, 0, "SO2", [0, 1]),
    }
    assert first not in others and len(others) == 3
