"""The per-generator verdict on a small sweep with a known answer (tests/analysis/conftest.py)."""

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipeline.analysis._verdict import wilson_interval
from tests.analysis.conftest import (
    KNOWN_ROT_EXTENTS,
    KNOWN_TX_WIDTHS,
    analyzed,
    write_known_sweep,
    written_store,
)


@pytest.fixture(scope="module")
def known_store(tmp_path_factory):
    return written_store(tmp_path_factory, write_known_sweep)


@pytest.fixture(scope="module")
def known(known_store, tmp_path_factory):
    return analyzed(known_store, "known", tmp_path_factory)


def by_generator(analysis):
    return analysis.tables["generator_verdicts"].set_index("generator")


def test_rotation_is_present_in_four_of_five_seeds_from_the_winning_candidate(known):
    rot = by_generator(known).loc["rot"]
    assert rot["candidate_group"] == "SO2"  # SO2 beats affine2 on validation
    assert rot["candidate_val_metric"] == pytest.approx(0.95)
    assert (rot["verdict"], rot["seeds"], rot["agreeing"]) == ("present", 5, 4)
    assert rot["agreement"] == pytest.approx(0.8)
    interval = (rot["agreement_low"], rot["agreement_high"])
    assert interval == pytest.approx((0.3755, 0.9638), abs=1e-4)  # Wilson, 4 of 5
    present = pd.Series(KNOWN_ROT_EXTENTS[:4])  # the agreeing seeds' best trials only
    assert rot["extent"] == pytest.approx(present.mean())
    assert rot["extent_std"] == pytest.approx(present.std())
    assert (rot["extent_unit"], rot["evidence"], rot["trials"]) == ("degrees", "test", 10)
    assert bool(rot["true_present"]) and bool(rot["correct"])


def test_without_a_test_the_width_readout_votes(known):
    tx = by_generator(known).loc["tx"]
    assert tx["candidate_group"] == "affine2"  # the only candidate with tx
    assert (tx["verdict"], tx["agreeing"], tx["seeds"], tx["evidence"]) == (
        "absent",
        4,
        5,
        "widths",
    )
    assert tx["extent"] == pytest.approx(pd.Series(KNOWN_TX_WIDTHS[1:]).mean())
    assert tx["extent_unit"].startswith("learned width")
    assert not bool(tx["true_present"]) and bool(tx["correct"])


def test_every_generator_of_any_candidate_has_one_row(known):
    verdicts = known.tables["generator_verdicts"]
    assert sorted(verdicts["generator"]) == sorted(["tx", "ty", "rot", "scale", "stretch", "shear"])
    others = verdicts[~verdicts["generator"].isin(["rot", "tx"])]
    assert set(others["verdict"]) == {"present"}  # active everywhere, no test
    assert not others["correct"].astype(bool).any()


def test_report_opens_with_the_answer_then_the_table_and_the_csv_is_written(known):
    report = known.report.read_text().splitlines()
    assert report[0].startswith("# Sweep `known`")
    lines = [line for line in report[1:] if line.strip()][:4]
    assert lines[0].startswith("**The trials' learned widths report SO2**")  # no data test ran
    assert lines[1] == "## Which symmetries the data have"
    assert lines[2].startswith("| generator | verdict | seeds agreeing | 95% interval | extent")
    assert any(
        line.startswith("| rot | present | 4 of 5 | [0.38, 0.96] | 177.5 ± 6.5 degrees")
        for line in report
    )
    written = pd.read_csv(known.out / "generator_verdicts.csv")
    assert len(written) == 6


def test_analyze_prints_the_verdict_table(known_store, tmp_path):
    from pipeline.cli import app

    result = CliRunner().invoke(
        app, ["analyze", "known", "--store", known_store, "--out", str(tmp_path / "cli")]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("generator"))
    rot = next(line for line in lines[header:] if line.startswith("rot "))
    assert rot.split()[:5] == ["rot", "present", "4", "of", "5"]


@given(st.integers(1, 400), st.data())
def test_wilson_interval_holds_the_share_and_narrows(n, data):
    k = data.draw(st.integers(0, n))
    low, high = wilson_interval(k, n)
    assert 0 <= low <= k / n <= high <= 1
    wider = wilson_interval(k, n)  # same share from 4x the trials is narrower
    narrow = wilson_interval(4 * k, 4 * n)
    assert narrow[1] - narrow[0] < wider[1] - wider[0]
    assert wilson_interval(n - k, n) == pytest.approx((1 - high, 1 - low))  # symmetric


def test_a_seed_votes_with_the_test_where_it_decided_else_with_the_trial():
    from pipeline.analysis._verdict import _vote

    row = lambda **c: pd.Series({"present": None, "active": None, "test_note": None, **c})  # noqa: E731
    assert _vote(row(present=True, active=False)) is True  # the test decided
    undecided = row(present=False, active=True, test_note="undecided: cannot see it")
    assert _vote(undecided) is True  # the trial's verdict (the widths under ``both``)
    assert _vote(row(active=False)) is False  # no test: the widths
    assert _vote(row()) is None
