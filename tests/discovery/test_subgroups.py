"""Invariant cyclic subgroups of absent generators: the decision rule on given TVs, the naming
(C3 inside C6 and inside SO2), and the test on point sets and sequences whose truth is known."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from pipeline.data import Dataset
from pipeline.discovery import TestConfig, Verdict, discovery_test, present_span, probes
from pipeline.discovery._subgroups import largest_invariant_order, name_invariant_subgroups
from pipeline.groups import get_group, span_name


def _verdict(probe, tv, error=0.01, visibility=0.0, present=False) -> Verdict:
    return Verdict(
        probe.generator,
        present,
        1.0,
        0.0,
        probe.unit,
        False,
        1.0,
        magnitudes=list(probe.magnitudes),
        tv=tv,
        tv_error=[error] * len(tv),
        visibility_p=visibility,
    )


def _named(group: str, tv: list[float], **kwargs) -> Verdict:
    found = probes(get_group(group), "image")
    verdict = _verdict(found[0], tv, **kwargs)
    name_invariant_subgroups([verdict], found, alpha=0.05)
    return verdict


def test_c3_inside_c6_from_its_powers():
    verdict = _named("C6", [0.90, 0.05, 0.90])  # powers 1, 2, 3: only the 120-degree turn
    assert verdict.invariant_order == 3 and verdict.subgroup == "C3"


def test_c3_inside_so2_from_the_grid_angles():
    # 15, 30..180 degrees: invariant at 120 (and 240 = -120), nowhere else
    verdict = _named("SO2", [0.9, 0.9, 0.9, 0.9, 0.03, 0.9, 0.9])
    assert verdict.invariant_order == 3 and verdict.subgroup == "C3"
    assert _named("SO2", [0.9, 0.9, 0.9, 0.02, 0.9, 0.9, 0.01]).subgroup == "C4"  # 90 and 180
    assert _named("SO2", [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.02]).subgroup == "C2"


def test_invariance_needs_confidence_not_a_failure_to_reject():
    # TV 0.2 below the margin 1/4, but too uncertain to place it there: nothing is named
    assert _named("C6", [0.9, 0.2, 0.9], error=0.1).invariant_order is None
    assert _named("C6", [0.9, 0.2, 0.9], error=0.01).invariant_order == 3
    assert _named("C6", [0.9, 0.3, 0.9], error=0.0).invariant_order is None


def test_a_blind_reader_or_a_present_generator_names_no_subgroup():
    assert _named("C6", [0.9, 0.0, 0.9], visibility=0.5).invariant_order is None
    assert _named("C6", [0.0, 0.0, 0.0], present=True).invariant_order is None


def test_holm_over_every_power_examined():
    # 14 powers in the family: a p-value of about 0.01 passes alone, not after Holm's first step
    error = 0.25 / 2.33  # z = 2.33 below the margin: p = 0.01
    assert _named("C6", [0.9, 0.0, 0.9], error=error).invariant_order == 3  # 3 powers: 0.0167
    c12 = _named("C12", [0.9, 0.9, 0.9, 0.0, 0.9, 0.9], error=error)
    assert c12.invariant_order is None  # 6 powers: 0.01 > 0.05 / 6


@given(st.integers(2, 24), st.data())
def test_the_named_order_is_the_largest_subgroup_inside_the_invariant_powers(order, data):
    powers = data.draw(st.sets(st.integers(1, order // 2)))
    found = largest_invariant_order(order, powers, whole=False)
    held = [m for m in range(2, order) if order % m == 0 and _inside(order, order // m, powers)]
    assert found == (max(held) if held else None)


def _inside(order: int, d: int, powers: set[int]) -> bool:
    return all(min(k * d % order, order - k * d % order) in powers for k in range(1, order // d))


def test_span_names_c3_from_a_rotation_or_a_discrete_power():
    assert span_name(get_group("SO2"), set(), {}, {"rot": 3}) == "C3"
    assert span_name(get_group("SO2*T2"), {"tx"}, {}, {"rot": 4}) == "C4*Tx"
    assert get_group("SO2[rot/3]").order == 3
    c6 = get_group("C6")
    assert present_span(c6, {"rot6": {"present": False, "invariant_order": 3}}) == "C3"
    columns = {
        "rot": {"present": False, "invariant_order": 3},
        "tx": {"present": False},
        "ty": {"present": False},
    }
    assert present_span(get_group("SO2*T2"), columns) == "C3"


def test_turn_tokens_need_a_periodic_generator():
    with pytest.raises(ValueError, match="rot/3"):
        get_group("T2[tx/3]")


def _triangles(seed: int, n: int = 360) -> Dataset:
    """Two asymmetric ordered curves turned by k * 120 degrees: C3, not C6."""
    rng = torch.Generator().manual_seed(seed)
    s = torch.linspace(0, 1, 8)
    shapes = torch.stack(
        [
            torch.stack([0.8 * torch.cos(2 * s), 0.8 * torch.sin(2 * s) + 0.2], 1),
            torch.stack([s - 0.2, 0.6 * s * s - 0.4], 1),
        ]
    )
    y = torch.randint(2, (n,), generator=rng)
    x = shapes[y] + 0.02 * torch.randn(n, 8, 2, generator=rng)
    angle = 2 * math.pi / 3 * torch.randint(3, (n,), generator=rng)
    turn = torch.stack(
        [torch.stack([angle.cos(), -angle.sin()], -1), torch.stack([angle.sin(), angle.cos()], -1)],
        -2,
    )
    return Dataset.from_tensors(
        x @ turn.transpose(1, 2),
        y,
        seed,
        name="triangles",
        kind="points",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group="C3",
        num_classes=2,
    )


FAST = TestConfig(epochs=20, epochs_per_probe=20, seed=0)


@pytest.mark.slow
@pytest.mark.parametrize("candidate", ["C6", "SO2"])
def test_curves_turned_by_thirds_read_c3(candidate):
    verdict = discovery_test(_triangles(0), get_group(candidate), FAST)[0]
    assert not verdict.present and verdict.invariant_order == 3 and verdict.subgroup == "C3"
    assert (
        present_span(
            get_group(candidate),
            {verdict.generator: {"present": False, "invariant_order": verdict.invariant_order}},
        )
        == "C3"
    )


def test_sequences_shifted_by_quarters_read_the_quarter_shifts():
    rng = torch.Generator().manual_seed(3)
    t = torch.arange(16) * 2 * math.pi / 16
    shapes = torch.stack([0.6 + torch.sin(t) + 0.5 * torch.sin(2 * t), 0.6 + torch.cos(3 * t)])
    y = torch.randint(2, (400,), generator=rng)
    x = shapes[y] + 0.1 * torch.randn(400, 16, generator=rng)
    shifts = 4 * torch.randint(4, (400,), generator=rng)
    x = torch.stack([r.roll(int(s)) for r, s in zip(x, shifts, strict=True)])
    data = Dataset.from_tensors(
        x[:, None],
        y,
        3,
        name="quarters",
        kind="sequence",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group="shift16by4",
        num_classes=2,
    )
    quick = TestConfig(epochs=10, epochs_per_probe=5)
    verdict = discovery_test(data, get_group("shift16"), quick)[0]
    assert not verdict.present and verdict.invariant_order == 4 and verdict.subgroup == "shift1^4"
    columns = {"shift1": {"present": False, "invariant_order": 4}}
    assert present_span(get_group("shift16"), columns) == "shift16by4"
