"""The discovery test inside a trial: ``discovery: widths | test | both`` and the store columns."""

import pytest

from pipeline.discovery import COLUMNS, DataTest, Verdict
from pipeline.store._schema import to_table
from pipeline.trial import run_trial

TINY = {
    "dataset": {"name": "signals", "length": 16, "n_samples": 120},
    "candidate_group": "shift16*flip",
    "epochs": 1,
    "batch_size": 32,
    "eval_samples": 2,
    "robustness": "none",
}


@pytest.fixture(scope="module")
def results():
    return {mode: run_trial({**TINY, "discovery": mode}) for mode in ("widths", "test")}


def test_widths_alone_add_no_test_columns(results):
    assert all(not set(COLUMNS) & set(row) for row in results["widths"].discovery)


def test_test_rows_carry_the_verdict_and_decide_active(results):
    result = results["test"]
    rows = {row["generator"]: row for row in result.discovery}
    assert set(rows) == {"shift1", "flip"}
    for row in rows.values():
        assert set(COLUMNS) <= set(row) and row["active"] == row["present"]
    assert rows["shift1"]["extent_unit"] == "positions" and 0 <= rows["shift1"]["p_value"] <= 1
    expected = "shift16" if rows["shift1"]["present"] else "trivial"
    assert result.trial["discovered_group"] == (
        expected + "*flip" if rows["flip"]["present"] else expected
    )
    to_table("discovery", result.discovery)  # the store takes the new columns


def _test_saying(claims: dict) -> DataTest:
    """A sweep's data test that says ``claims`` (generator -> present, p-value, note)."""
    verdicts = [
        Verdict(
            name,
            claim["present"],
            claim.get("p_value", 0.5),
            1.0,
            "positions",
            False,
            0.5,
            [1.0],
            [0.0],
            note=claim["test_note"],
        )
        for name, claim in claims.items()
    ]
    return DataTest("data-test-given", "shift16*flip", [0], [verdicts])


def test_both_takes_the_test_where_it_decided_else_the_widths(results):
    claims = {
        "shift1": {"present": True, "p_value": 0.01, "test_note": None},
        "flip": {"present": False, "test_note": "undecided: the reader cannot see it"},
    }
    widths = results["widths"]
    both = run_trial({**TINY, "discovery": "both"}, data_test=_test_saying(claims))
    active = {r["generator"]: r["active"] for r in both.discovery}
    width_active = {r["generator"]: r["active"] for r in widths.discovery}
    assert active == {"shift1": True, "flip": width_active["flip"]}
    # flip's verdict rests on the widths: a model at chance (one epoch) claims nothing there
    named = "shift16*flip" if active["flip"] else "shift16"
    note = both.trial["discovery_note"]
    assert both.trial["discovered_group"] == (named if note is None else None)
    assert all("present" in row for row in both.discovery)


def test_test_counts_an_undecided_generator_as_not_present():
    claims = {
        "shift1": {"present": False, "test_note": "undecided: the reader cannot see it"},
        "flip": {"present": False, "test_note": None},
    }
    result = run_trial({**TINY, "discovery": "test"}, data_test=_test_saying(claims))
    assert result.trial["data_test_id"] == "data-test-given"  # the sweep's test, not its own
    assert not any(r["active"] for r in result.discovery)
    assert result.trial["discovered_group"] == "trivial"
    to_table("discovery", result.discovery)  # the note is a store column
