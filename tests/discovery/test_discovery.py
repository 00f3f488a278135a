"""The per-generator discovery test: grids and units, the extent and presence rules, and the
test itself on small sequences whose symmetry is known."""

import math

import pytest
import torch

from pipeline.data import Dataset
from pipeline.discovery import TestConfig, discovery_test, present_span, probes
from pipeline.discovery._extent import fitted_extent
from pipeline.discovery._test import Verdict, _decide
from pipeline.groups import get_group


def _probe(group: str, kind: str = "image"):
    return {p.generator: p for p in probes(get_group(group), kind)}


def test_grids_are_in_data_units():
    found = _probe("affine2*D1")
    rot = found["rot"]
    assert rot.mode == "periodic" and rot.magnitudes[0] == pytest.approx(15)
    assert rot.magnitudes == pytest.approx((15, 30, 60, 90, 120, 150, 180))  # multiples of 30 kept
    assert rot.bin_powers == tuple(range(24))  # 15-degree bins
    assert found["tx"].bin_powers[:5] == (0, 3, -3, 6, -6) and len(found["tx"].bin_powers) == 13
    assert found["tx"].mode == "linear" and found["tx"].unit == "side"
    assert found["tx"].magnitudes[0] == pytest.approx(1 / 8)  # a quarter range, side = 2 units
    assert found["tx"].magnitudes[-1] == pytest.approx(0.75)
    assert found["scale"].unit == "factor"
    assert found["scale"].magnitudes[0] == pytest.approx(2**0.25)  # a quarter range
    assert len(found["scale"].bin_powers) == 13
    assert found["mirror"].mode == "discrete" and found["mirror"].magnitudes == (1.0,)
    shift = _probe("shift8", "sequence")["shift1"]
    assert shift.unit == "positions" and shift.magnitudes == (1.0, 2.0, 3.0, 4.0)
    assert shift.bin_powers == tuple(range(8))
    assert _probe("C4")["rot4"].magnitudes == (90.0, 180.0)


def test_lattice_translations_move_whole_sites():
    sites = {p.generator: p for p in probes(get_group("T2"), "lattice", lattice_side=8)}
    assert sites["tx"].mode == "discrete" and sites["tx"].unit == "sites"
    assert sites["tx"].magnitudes == (1.0, 2.0, 3.0, 4.0)


def test_extent_is_the_fitted_uniform_spread():
    rot = _probe("SO2")["rot"]
    spread = 45.0  # uniform within +-45 degrees: TV_t = t / 90 up to t = 90
    tv = [min(1.0, t / (2 * spread)) for t in rot.magnitudes]
    assert fitted_extent(list(rot.magnitudes), tv, 360.0) == pytest.approx(spread, rel=0.01)
    assert fitted_extent(list(rot.magnitudes), [0.0] * len(tv), 360.0) == pytest.approx(180)
    scale = _probe("scale")["scale"]  # factors are fitted on a log scale
    tv = [min(1.0, math.log(f) / (2 * math.log(1.5))) for f in scale.magnitudes]
    sizes = [math.log(f) for f in scale.magnitudes]
    assert math.exp(fitted_extent(sizes, tv, None)) == pytest.approx(1.5, rel=0.01)


def test_holm_keeps_the_family_wise_level():
    verdicts = [
        Verdict(str(i), False, p, 0.0, "", False, 1.0) for i, p in enumerate([0.001, 0.03, 0.04])
    ]
    _decide(verdicts, alpha=0.05)
    assert [v.present for v in verdicts] == [True, False, False]  # 0.03 > 0.05 / 2: Holm stops


def _waves(seed: int, shifted: bool, n: int = 300, length: int = 16) -> Dataset:
    rng = torch.Generator().manual_seed(seed)
    t = torch.arange(length) * 2 * math.pi / length
    shapes = torch.stack([0.6 + torch.sin(t), 0.6 + torch.relu(torch.sin(2 * t)) * 1.5])
    y = torch.randint(2, (n,), generator=rng)
    x = shapes[y] + 0.1 * torch.randn(n, length, generator=rng)
    if shifted:
        shifts = torch.randint(length, (n,), generator=rng)
        x = torch.stack([r.roll(int(s)) for r, s in zip(x, shifts, strict=True)])
    return Dataset.from_tensors(
        x[:, None],
        y,
        seed,
        name="waves",
        kind="sequence",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group=f"shift{length}" if shifted else "trivial",
        num_classes=2,
        support={"shift1": length / 2} if shifted else {},
    )


FAST = TestConfig(epochs=10, epochs_per_probe=5, seed=0)


def test_finds_a_shift_symmetry_and_only_it():
    verdicts = {
        v.generator: v for v in discovery_test(_waves(0, True), get_group("shift16*flip"), FAST)
    }
    assert verdicts["shift1"].present and verdicts["shift1"].full
    assert verdicts["shift1"].extent == 8 and verdicts["shift1"].extent_error == 0.0
    assert not verdicts["flip"].present  # the waves have a positive offset


def test_fixed_phase_waves_have_no_symmetry():
    verdicts = discovery_test(_waves(1, False), get_group("shift16*flip"), FAST)
    assert not any(v.present for v in verdicts)
    shift = verdicts[0]
    assert shift.p_value > 0.05 and shift.invariance_p < 1e-6 and shift.tv[0] > 0.5


def test_same_seed_same_verdicts():
    data, group = _waves(2, False, n=120), get_group("shift16")
    quick = TestConfig(epochs=2, epochs_per_probe=1)
    first, second = (discovery_test(data, group, quick) for _ in range(2))
    assert [v.tv for v in first] == [v.tv for v in second]


def test_present_span_names_the_present_generators():
    group = get_group("SO2*T2")
    columns = {"rot": {"present": True}, "tx": {"present": False}, "ty": {"present": False}}
    assert present_span(group, columns) == "SO2"
    assert (
        present_span(get_group("D4"), {"rot4": {"present": True}, "mirror": {"present": False}})
        == "C4"
    )
