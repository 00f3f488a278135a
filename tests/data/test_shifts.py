"""Shifted test sets: the documented grids, and moved data that respects the symmetry."""

import pytest
import torch

from pipeline.data import build_dataset, lattice_size, shift_grid, shifted_test_set
from pipeline.data.twobody import simulate
from pipeline.groups import get_group


def _by_generator(shifts):
    grid = {}
    for s in shifts:
        grid.setdefault(s.generator, []).append(s)
    return grid


def test_rotations_step_15_degrees_to_180():
    grid = _by_generator(shift_grid(get_group("O2"), "image"))
    assert [s.magnitude for s in grid["rot"]] == list(range(0, 181, 15))
    assert {s.unit for s in grid["rot"]} == {"degrees"}
    assert [s.magnitude for s in grid["mirror"]] == [0, 1]
    half_turn = grid["rot"][-1].element
    assert torch.allclose(half_turn[:2, :2], -torch.eye(2, dtype=half_turn.dtype), atol=1e-12)


def test_sequence_shifts_run_to_half_the_length():
    grid = shift_grid(get_group("shift32"), "sequence")
    assert [s.magnitude for s in grid] == list(range(17)) and grid[0].unit == "positions"


def test_lattice_translations_are_whole_sites_up_to_half_the_side():
    data = build_dataset("ising", seed=0)
    grid = _by_generator(shift_grid(data.group(), "lattice", lattice_size(data)))
    assert [s.magnitude for s in grid["tx"]] == [0, 1, 2, 3, 4]
    moved = shifted_test_set(data, data.group(), grid["tx"][1])
    assert torch.equal(moved.inputs, data.test.inputs.roll(1, dims=-1))
    assert [s.magnitude for s in grid["rot4"]] == [0, 90, 180]


@pytest.mark.parametrize(
    ("group", "generators"),
    [
        ("affine2", ["tx", "ty", "rot", "scale", "stretch", "shear"]),
        ("SO3*S5", ["rx", "ry", "rz", "cycle5", "swap01"]),
    ],
)
def test_every_generator_gets_a_grid_starting_at_the_identity(group, generators):
    g = get_group(group)
    grid = _by_generator(shift_grid(g, "points"))
    assert list(grid) == generators
    for shifts in grid.values():
        assert torch.equal(shifts[0].element, torch.eye(g.dim, dtype=g.dtype))
        assert len(shifts) >= 2


def test_scale_factors_run_from_one_to_two():
    grid = shift_grid(get_group("scale"), "image")
    assert [s.magnitude for s in grid] == [round(1 + 0.1 * i, 1) for i in range(11)]
    assert torch.allclose(grid[-1].element[0, 0], torch.tensor(2.0, dtype=torch.float64))


def test_equivariant_targets_move_with_the_inputs():
    data = build_dataset("twobody", seed=0)
    group = data.group()
    for shift in shift_grid(group, data.kind)[::4]:
        moved = shifted_test_set(data, group, shift)
        future = simulate(moved.inputs.double(), data.options["dt"], data.options["steps"])
        assert torch.allclose(future.float(), moved.targets, atol=1e-4)


def test_invariant_targets_stay_put():
    data = build_dataset("signals", seed=0)
    shift = shift_grid(data.group(), data.kind)[5]
    moved = shifted_test_set(data, data.group(), shift)
    assert torch.equal(moved.targets, data.test.targets)
    assert torch.equal(moved.inputs, data.test.inputs.roll(5, dims=-1))
