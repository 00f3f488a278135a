"""Directions of the algebra proposed from the data: a horizontal shear inside affine2 is
proposed and found although every basis generator reads absent; proposals see only the
training split; the default tests them only where a block has two or more algebra generators."""

import math

import pytest
import torch

from pipeline.actions import act
from pipeline.data import Dataset
from pipeline.discovery import TestConfig, discovery_test
from pipeline.discovery._directions import direction_count, propose
from pipeline.groups import get_group

SHEAR_X = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], dtype=torch.float64)
BLOBS = (((0.42, 0.0), (-0.18, 0.14), (0.02, 0.40)), ((0.30, -0.25), (-0.35, -0.05), (0.1, 0.35)))


def _sheared(seed: int, n: int = 600, side: int = 20, most: float = 0.5) -> Dataset:
    """Two chiral blob shapes moved by the plane's action under x' = x + s y, s uniform in
    +-most (the data warped as the test warps them: what is measured is the shear alone)."""
    rng = torch.Generator().manual_seed(seed)
    y = torch.randint(2, (n,), generator=rng)
    axis = (torch.arange(side) + 0.5) / side * 2 - 1
    rows, cols = torch.meshgrid(axis, axis, indexing="ij")
    centres = torch.tensor(BLOBS)[y]  # (n, 3, 2)
    distance = (cols - centres[..., 0, None, None]) ** 2 + (rows - centres[..., 1, None, None]) ** 2
    x = torch.exp(-distance / (2 * 0.14**2)).sum(1).clamp(max=1.0)[:, None]
    shear = torch.eye(3).repeat(n, 1, 1)
    shear[:, 0, 1] = (2 * torch.rand(n, generator=rng) - 1) * most
    x = act(get_group("affine2").to(dtype=torch.float32), shear, x, "image")
    return Dataset.from_tensors(
        x,
        y,
        seed,
        name="sheared",
        kind="image",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group="trivial",
        num_classes=2,
    )


def _cosine(matrix: torch.Tensor) -> float:
    flat = matrix.double().flatten()
    return float((flat @ SHEAR_X.flatten()).abs() / flat.norm())


def test_the_shear_is_proposed_from_the_training_split_only():
    data, block = _sheared(0), get_group("affine2")
    matrices, ranges = propose(data, block, 2, torch.Generator().manual_seed(0))
    assert matrices and _cosine(matrices[0]) >= 0.9 and ranges[0] > 0
    assert torch.linalg.matrix_norm(matrices[0]) == pytest.approx(1.0)
    for split in (data.val, data.test):  # held-out inputs replaced: the same proposal
        split.inputs.copy_(torch.rand_like(split.inputs))
    again, _ = propose(data, block, 2, torch.Generator().manual_seed(0))
    # equal up to the float noise of a multithreaded least-squares snap (bits may differ)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(matrices, again, strict=True))


def test_a_basis_generator_is_never_proposed_again():
    # shapes turned by any angle: the spread is the rotation itself, which the basis tests
    rng = torch.Generator().manual_seed(1)
    data = _sheared(1, most=0.0)
    angle = (2 * torch.rand(len(data.train), generator=rng) - 1) * math.pi
    turn = torch.eye(3).repeat(len(angle), 1, 1)
    turn[:, :2, :2] = torch.stack(
        [torch.stack([angle.cos(), -angle.sin()], -1), torch.stack([angle.sin(), angle.cos()], -1)],
        -2,
    )

    data.train.inputs.copy_(act(get_group("affine2"), turn, data.train.inputs, "image"))
    matrices, _ = propose(data, get_group("affine2"), 2, torch.Generator().manual_seed(0))
    rot = get_group("affine2").lie_algebra[2].double().flatten()
    for matrix in matrices:
        flat = matrix.double().flatten()
        assert float((flat @ rot).abs() / (flat.norm() * rot.norm())) < 0.9


def test_directions_are_on_by_default_for_two_or_more_algebra_generators():
    assert direction_count(get_group("affine2"), None) == 2
    assert direction_count(get_group("SO2*T2*scale*D1"), None) == 2
    assert direction_count(get_group("SO2"), None) == 0
    assert direction_count(get_group("C6"), None) == 0
    assert direction_count(get_group("SO2*S12"), None) == 0  # one generator per block
    assert direction_count(get_group("affine2"), 0) == 0
    assert direction_count(get_group("SO2"), 1) == 1


@pytest.mark.slow
def test_a_horizontal_shear_is_found_along_a_direction():
    config = TestConfig(epochs=30, epochs_per_probe=8, seed=0)
    verdicts = {v.generator: v for v in discovery_test(_sheared(2), get_group("affine2"), config)}
    basis = ("tx", "ty", "rot", "scale", "stretch", "shear")
    # the symmetric shear is half of the horizontal one: its first step stays within the data's
    # spread and may read present; the generators orthogonal to it never do
    assert not any(verdicts[name].present for name in ("tx", "ty", "scale", "stretch"))
    found = [v for v in verdicts.values() if v.matrix is not None and v.present]
    assert found and _cosine(found[0].matrix) >= 0.9
    assert found[0].unit == "coefficient" and 0.2 <= found[0].extent <= 0.8  # s within +-0.5
    plain = discovery_test(
        _sheared(2),
        get_group("affine2"),
        TestConfig(epochs=30, epochs_per_probe=8, seed=0, directions=0),
    )
    assert [v.generator for v in plain] == list(basis)  # the option turns them off
