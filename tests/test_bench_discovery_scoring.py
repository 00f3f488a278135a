"""bench/_discovery_scoring.py: the suite's sensitivity and specificity slots and their Wilson
intervals; bench/discovery_rendered.py: the never-warped cases draw what they declare."""

import math
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import discovery_rendered
from _discovery_scoring import case_slots, score_run, wilson

from pipeline.groups import get_group


@given(st.integers(0, 200), st.integers(1, 200))
def test_wilson_contains_the_rate_and_stays_in_the_unit_interval(successes, n):
    successes = min(successes, n)
    low, high = wilson(successes, n)
    assert 0.0 <= low <= successes / n <= high <= 1.0


def test_wilson_matches_the_textbook_value():
    low, high = wilson(95, 100)  # Newcombe (1998): 0.8883 to 0.9785
    assert low == pytest.approx(0.8883, abs=1e-4) and high == pytest.approx(0.9785, abs=1e-4)


def _row(name, present=False, order=None, **extra):
    return {"generator": name, "present": present, "invariant_order": order, **extra}


def test_slots_count_generators_subgroups_and_directions():
    truth = {"rot": True, "tx": False, "rot6": 3, "direction": "SHEAR_X"}
    rows = [
        _row("rot", True),
        _row("tx", order=2),
        _row("rot6", order=3),
        _row("dir1", True, cos_truth=0.95, cos_span=0.1),
    ]
    positives, negatives = case_slots(truth, rows)
    assert positives == [True, True, True]  # rot found, C3 found, the direction found
    assert negatives == [False]  # tx: a subgroup claimed where none is
    # without a declared direction, a present one outside the true span is a false positive
    rows = [_row("rot", True), _row("dir1", True, cos_truth=None, cos_span=0.5)]
    assert case_slots({"rot": True}, rows) == ([True], [False])
    rows = [_row("rot", True), _row("dir1", True, cos_truth=None, cos_span=0.99)]
    assert case_slots({"rot": True}, rows) == ([True], [True])


def test_score_run_measures_cosines_to_the_truth_and_the_true_span():
    group = get_group("affine2")
    shear = torch.tensor(discovery_rendered.SHEAR_X)
    scores = score_run(group, {"rot": True, "direction": "SHEAR_X"}, shear)
    assert scores["cos_truth"] == pytest.approx(1.0)
    assert scores["cos_span"] == pytest.approx(math.sqrt(0.5))  # half of it is a rotation
    assert score_run(group, {}, None) == {}


def test_rendered_thirds_are_exactly_the_rotations_by_thirds():
    # never warped: turning the pose by 120 degrees draws the same picture set, sample by sample
    labels = torch.tensor([0, 1, 2])
    pose = torch.eye(3, dtype=torch.float64).repeat(3, 1, 1)
    angle = 2 * math.pi / 3
    turned = pose.clone()
    turned[:, :2, :2] = torch.tensor(
        [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]
    )
    once = discovery_rendered.render(labels, turned, 24)
    thrice = discovery_rendered.render(labels, turned @ turned @ turned, 24)
    assert torch.allclose(thrice, discovery_rendered.render(labels, pose, 24), atol=1e-5)
    assert not torch.allclose(once, discovery_rendered.render(labels, pose, 24), atol=1e-2)
