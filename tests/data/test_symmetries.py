"""Each built-in dataset has the symmetry it declares, shown with pipeline.testing's helpers."""

import math

import pytest
import torch

from pipeline.data import build_dataset
from pipeline.data.ising import checkerboard, energy_per_site
from pipeline.data.twobody import simulate
from pipeline.groups import get_group
from pipeline.testing import assert_equivariant, assert_invariant
from tests.data.helpers import nearest_neighbour_accuracy, occupancy

# Moving the test set within the data's symmetry leaves 1-NN accuracy within this of its value;
# off the symmetry it drops far more (the contrast tests below).
ACCURACY_TOLERANCE = 0.1


def accuracy_probe(dataset, features=None):
    return nearest_neighbour_accuracy(dataset.train, dataset.test.targets, features)


@pytest.fixture(scope="module")
def upright_digits():
    return build_dataset({"name": "digits", "transform": "none"}, seed=0)


@pytest.mark.parametrize("transform", ["SO2", "C4"])
def test_digits_labels_are_invariant_under_their_group(transform):
    data = build_dataset({"name": "digits", "transform": transform}, seed=0)
    group = data.group()
    assert group.name == transform
    assert_invariant(
        accuracy_probe(data),
        group,
        "image",
        data.test.inputs,
        n_samples=4,
        atol=ACCURACY_TOLERANCE,
        rtol=0,
    )


def _small(group_name, coefficients):
    group = get_group(group_name)
    return group, group.exp(torch.tensor(coefficients, dtype=torch.float64))


@pytest.mark.parametrize(
    ("transform", "group_name", "coefficients"),
    [
        ("rotation", "SO2", [[math.radians(-10)], [math.radians(10)]]),
        ("T2", "T2", [[0.1, 0.0], [0.0, -0.1]]),  # 0.05 of the side
        ("scale", "scale", [[math.log(1.05)], [math.log(0.95)]]),
    ],
)
def test_digits_with_a_range_are_invariant_within_it(transform, group_name, coefficients):
    data = build_dataset({"name": "digits", "transform": transform}, seed=0)
    assert data.true_group == group_name
    group, elements = _small(group_name, coefficients)
    assert_invariant(
        accuracy_probe(data),
        group,
        "image",
        data.test.inputs,
        elements=elements,
        atol=ACCURACY_TOLERANCE,
        rtol=0,
    )


def test_upright_digits_are_not_rotation_invariant(upright_digits):
    assert upright_digits.true_group == "trivial"
    probe, inputs = accuracy_probe(upright_digits), upright_digits.test.inputs
    with pytest.raises(AssertionError, match="not invariant under SO2"):
        assert_invariant(
            probe, get_group("SO2"), "image", inputs, n_samples=4, atol=ACCURACY_TOLERANCE, rtol=0
        )


@pytest.mark.parametrize("dim", [2, 3])
def test_point_cloud_labels_are_invariant_under_rotations_and_permutations(dim):
    data = build_dataset({"name": "pointclouds", "dim": dim}, seed=0)
    group = data.group()
    assert group.name == f"{'SO2' if dim == 2 else 'SO3'}*S32"
    bins = 10 if dim == 2 else 6
    probe = accuracy_probe(data, lambda pts: occupancy(pts, bins))
    assert_invariant(
        probe, group, "points", data.test.inputs, n_samples=4, atol=ACCURACY_TOLERANCE, rtol=0
    )
    # Point order carries no label information: raw-coordinate 1-NN is near chance.
    assert accuracy_probe(data)(data.test.inputs) < 0.5


def test_point_clouds_without_rotation_are_not_rotation_invariant():
    data = build_dataset({"name": "pointclouds", "transform": "none"}, seed=0)
    probe = accuracy_probe(data, lambda pts: occupancy(pts, 10))
    with pytest.raises(AssertionError, match="not invariant"):
        assert_invariant(
            probe,
            get_group("SO2"),
            "points",
            data.test.inputs,
            n_samples=4,
            atol=ACCURACY_TOLERANCE,
            rtol=0,
        )


def test_signal_labels_are_invariant_under_every_cyclic_shift():
    data = build_dataset("signals", seed=0)
    assert data.true_group == "shift32"
    assert_invariant(
        accuracy_probe(data),
        data.group(),
        "sequence",
        data.test.inputs,
        atol=ACCURACY_TOLERANCE,
        rtol=0,
    )  # all 32 elements


def test_aligned_signals_are_not_shift_invariant():
    data = build_dataset({"name": "signals", "transform": "none"}, seed=0)
    assert data.true_group == "trivial"
    with pytest.raises(AssertionError, match="not invariant under shift32"):
        assert_invariant(
            accuracy_probe(data),
            get_group("shift32"),
            "sequence",
            data.test.inputs,
            atol=ACCURACY_TOLERANCE,
            rtol=0,
        )


@pytest.mark.parametrize("transform", ["rotate", "none"])
def test_twobody_futures_are_o2_equivariant(transform):
    data = build_dataset({"name": "twobody", "transform": transform}, seed=0)
    states = data.test.inputs.double()
    step = lambda x: simulate(x, data.options["dt"], data.options["steps"])  # noqa: E731
    assert torch.allclose(step(states).float(), data.test.targets, atol=1e-5)
    assert_equivariant(step, data.group(), "points", "points", states, atol=1e-9)
    # Not trivially so: the dynamics do move the bodies, and not like a rotation of the state.
    assert (step(states) - states).abs().max() > 0.1


def test_twobody_is_not_scale_equivariant():
    data = build_dataset("twobody", seed=0)
    step = lambda x: simulate(x, data.options["dt"], data.options["steps"])  # noqa: E731
    with pytest.raises(AssertionError, match="not equivariant under scale"):
        assert_equivariant(
            step, get_group("scale"), "points", "points", data.test.inputs.double(), n_samples=2
        )


def test_ising_energy_is_invariant_under_the_lattice_group():
    data = build_dataset("ising", seed=0)
    assert torch.allclose(energy_per_site(data.test.inputs), data.test.targets)
    assert data.true_group == "T2*D4*flip"
    assert_invariant(energy_per_site, data.group(), "lattice", data.test.inputs, n_samples=32)
    assert data.test.targets.std() > 0.2  # energies vary, so invariance is informative


def test_a_field_breaks_the_spin_flip():
    data = build_dataset({"name": "ising", "field": 0.5}, seed=0)
    energy = lambda s: energy_per_site(s, field=0.5)  # noqa: E731
    assert data.true_group == "T2*D4"
    assert_invariant(energy, data.group(), "lattice", data.test.inputs, n_samples=16)
    with pytest.raises(AssertionError, match="not invariant under flip"):
        assert_invariant(energy, get_group("flip"), "lattice", data.test.inputs)


def test_ground_state_input_is_symmetric_but_its_answer_is_not():
    data = build_dataset({"name": "ising", "task": "ground_state"}, seed=0)
    group = data.group()
    assert_invariant(lambda x: x, group, "lattice", data.test.inputs, n_samples=16)
    afm = lambda s: energy_per_site(s, coupling=-1.0)  # noqa: E731
    assert torch.allclose(afm(data.test.targets), torch.tensor(-2.0))
    uniform = torch.ones(1, 8, 8)  # what any equivariant deterministic map can output
    assert torch.allclose(afm(uniform), torch.tensor(2.0))
    with pytest.raises(AssertionError, match="not invariant"):
        assert_invariant(lambda x: x, group, "lattice", data.test.targets, n_samples=16)
    assert torch.equal(checkerboard(8, torch.tensor([1])), -checkerboard(8, torch.tensor([-1])))
