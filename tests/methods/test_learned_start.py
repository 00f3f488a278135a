"""The data-driven start of a learned basis finds the directions along which the data spread."""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.actions import act
from pipeline.groups import get_group
from pipeline.methods.learned_start import (
    data_start,
    free_directions,
    most_spread,
    spread_forms,
    tangent_actions,
)

PLANE = get_group("learned2")  # 3 x 3 affine generators, bottom row fixed at zero
MASK = (PLANE.lie_algebra != 0).to(torch.float64)


def spread_along(generator: torch.Tensor, seed: int, n: int = 200, classes: int = 2):
    """2D point clouds: one fixed random shape per class, each example moved by exp(t L) with
    t uniform in [-0.5, 0.5], plus a little noise. The data spread along L alone."""
    rng = torch.Generator().manual_seed(seed)
    shapes = torch.randn(classes, 8, 2, generator=rng, dtype=torch.float64)
    labels = torch.arange(n) % classes
    t = torch.rand(n, generator=rng, dtype=torch.float64) - 0.5
    elements = torch.linalg.matrix_exp(t[:, None, None] * generator)
    noise = 0.02 * torch.randn(n, 8, 2, generator=rng, dtype=torch.float64)
    return act(PLANE, elements, shapes[labels] + noise, "points"), labels


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.flatten() @ b.flatten()).abs() / (a.norm() * b.norm()))


def start_of(x, labels, k=1):
    learned = torch.tensor([True] * k + [False] * (2 - k))
    return data_start(PLANE, "points", MASK, learned, x, labels, torch.Generator().manual_seed(0))


def test_free_directions_are_the_masks_unit_entries():
    directions = free_directions(MASK[0])
    assert directions.shape == (6, 3, 3)
    assert torch.equal(directions.sum(dim=0), MASK[0])


def test_the_start_recovers_a_rotation_the_data_are_spread_along():
    rotation = torch.tensor([[0, -1, 0], [1, 0, 0], [0, 0, 0]], dtype=torch.float64)
    start = start_of(*spread_along(rotation, seed=0))
    assert cosine(start[0], rotation) > 0.95
    assert torch.allclose(start[0].norm(), torch.tensor(1.0, dtype=torch.float64))
    assert not start[1].any()  # only the flagged generators are started


def test_two_generators_start_on_the_two_translations():
    rng = torch.Generator().manual_seed(1)
    shapes = torch.randn(1, 8, 2, generator=rng, dtype=torch.float64).expand(300, 8, 2)
    shifts = torch.rand(300, 1, 2, generator=rng, dtype=torch.float64) - 0.5
    x = shapes + shifts + 0.02 * torch.randn(300, 8, 2, generator=rng, dtype=torch.float64)
    start = start_of(x, None, k=2).flatten(1)
    truth = get_group("T2").lie_algebra.flatten(1)
    q_start, _ = torch.linalg.qr(start.T)
    q_truth, _ = torch.linalg.qr(truth.T)
    assert torch.linalg.svdvals(q_start.T @ q_truth).min() > 0.99


@settings(max_examples=8, deadline=None)
@given(st.lists(st.floats(-1, 1), min_size=6, max_size=6), st.integers(0, 1000))
def test_any_one_parameter_spread_is_found(entries, seed):
    generator = torch.zeros(3, 3, dtype=torch.float64)
    generator[:2] = torch.tensor(entries, dtype=torch.float64).reshape(2, 3)
    if generator.norm() < 0.3:
        return
    generator /= generator.norm()
    start = start_of(*spread_along(generator, seed))
    assert cosine(start[0], generator) > 0.95


def test_the_forms_are_psd_and_directions_are_unit_and_movement_orthogonal():
    rotation = torch.tensor([[0, -1, 0], [1, 0, 0], [0, 0, 0]], dtype=torch.float64)
    x, labels = spread_along(rotation, seed=3)
    directions = free_directions(MASK[0])
    v, p = spread_forms(x.flatten(1), tangent_actions(PLANE, "points", x, directions), labels)
    assert torch.linalg.eigvalsh(v).min() > -1e-10 and torch.linalg.eigvalsh(p).min() > 0
    chosen = most_spread(v, p, 3)
    assert torch.allclose(chosen.norm(dim=1), torch.ones(3, dtype=torch.float64))
    gram = chosen @ p @ chosen.T
    assert torch.allclose(
        gram - torch.diag(gram.diagonal()), torch.zeros(3, 3, dtype=torch.float64), atol=1e-8
    )


def test_directions_that_move_nothing_come_last():
    p = torch.diag(torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64))
    v = torch.diag(torch.tensor([1.0, 2.0, 0.0], dtype=torch.float64))
    chosen = most_spread(v, p, 3)
    assert cosine(chosen[0], torch.tensor([0.0, 1, 0], dtype=torch.float64)) > 0.999
    assert cosine(chosen[2], torch.tensor([0.0, 0, 1], dtype=torch.float64)) > 0.999


# -- in a trial ---------------------------------------------------------------------------------

from pipeline.data import Dataset  # noqa: E402
from pipeline.methods.augment import _equal_norm_start  # noqa: E402
from pipeline.space import make_config  # noqa: E402
from pipeline.trial import RANDOM_BASIS_LR, basis_plan, build  # noqa: E402


def test_auto_starts_images_from_the_data_and_point_sets_at_random():
    auto = make_config({})
    assert basis_plan(auto, "image") == ("data", 0.0)
    assert basis_plan(auto, "points") == ("random", RANDOM_BASIS_LR)
    chosen = make_config({"basis_init": "data", "basis_lr": 0.01})
    assert basis_plan(chosen, "points") == ("data", 0.01)


def shifted_blobs(options: dict, seed: int) -> Dataset:
    """16 x 16 images: one smooth random pattern per class, shifted along x only by up to a
    quarter of the side (a bring-your-own factory for the trial test below)."""
    rng = torch.Generator().manual_seed(seed)
    patterns = torch.nn.functional.avg_pool2d(torch.rand(2, 1, 16, 16, generator=rng), 5, 1, 2)
    labels = torch.arange(120) % 2
    shifts = torch.zeros(120, 2)
    shifts[:, 0] = 0.5 * (torch.rand(120, generator=rng) - 0.5)
    images = act(get_group("T2"), get_group("T2").exp(shifts), patterns[labels], "image")
    return Dataset.from_tensors(
        images,
        labels,
        seed,
        name="shifted_blobs",
        kind="image",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group="T2",
        num_classes=2,
    )


def test_a_trial_on_images_starts_its_generator_where_the_images_move():
    config = {
        "dataset": {"factory": "tests.methods.test_learned_start:shifted_blobs"},
        "candidate_group": "learned1",
        "robustness": "none",
    }
    data = build(make_config(config))
    along_x = torch.zeros(3, 3)
    along_x[0, 2] = 1.0
    assert cosine(data.augmentation.basis[0].detach(), along_x) > 0.95 and data.basis_lr == 0.0
    seeded = build(make_config({**config, "basis_init": "random"}), data.dataset)
    expected = _equal_norm_start(seeded.augmentation.basis_mask, 0)
    assert torch.allclose(seeded.augmentation.basis, expected)
    again = build(make_config(config), data.dataset)
    assert torch.equal(again.augmentation.basis, data.augmentation.basis)  # seeded subsample
