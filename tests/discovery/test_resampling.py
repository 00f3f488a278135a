"""Resampling-neutral rotations: both arms of the test pass through the same band-limited
interpolation, so images that were never warped read as what they are. Isotropic textures and
shapes at random angles are rotation-invariant (present, whole); their upright versions are not
(absent), at 28 x 28 and 64 x 64 pixels."""

import math

import pytest
import torch

from pipeline.actions import act
from pipeline.discovery import TestConfig, discovery_test
from pipeline.discovery._resample import prepare, rotate, translate
from pipeline.groups import get_group
from tests.discovery.never_warped import shapes, textures

QUICK = TestConfig(epochs=10, epochs_per_probe=10, seed=0)
# Reading the tilt of fine streaks takes a reader trained longer (at 10 epochs it places
# textures tilted by 15 degrees at TV ~0.1, which would read as a symmetry).
TRAINED = TestConfig(epochs=40, epochs_per_probe=40, seed=0)


@pytest.mark.parametrize("side", [20, 28, 64])
def test_band_limited_rotations_compose_and_invert(side):
    images = prepare(
        torch.randn(
            6, 1, side, side, dtype=torch.float64, generator=torch.Generator().manual_seed(side)
        )
    )
    angles = torch.tensor([0.3, 1.0, -2.0, 0.7, 2.5, -0.1], dtype=torch.float64)
    scale = float(images.abs().max())
    tolerance = 0.02 if side < 28 else 0.005 if side < 64 else 0.001
    back = rotate(rotate(images, angles), -angles)
    assert float((back - images).abs().max()) < tolerance * scale
    halves = rotate(rotate(images, angles / 2), angles / 2)
    assert float((halves - rotate(images, angles)).abs().max()) < tolerance * scale


def test_band_limited_rotations_turn_like_the_image_action():
    side, group = 64, get_group("SO2").to(dtype=torch.float64)
    centre = torch.arange(side, dtype=torch.float64) - (side - 1) / 2
    blob = torch.exp(-((centre[None, :] - 9) ** 2 + (centre[:, None] + 6) ** 2) / 30)
    image = prepare(blob[None, None])
    for degrees in (15.0, 100.0, -37.0):
        angle = torch.tensor([math.radians(degrees)], dtype=torch.float64)
        warped = act(group, group.exp(angle[:, None]), image, "image")  # bilinear
        assert float((rotate(image, angle) - warped).abs().max()) < 0.03


def _rotation(data, config):
    return discovery_test(data, get_group("SO2"), config)[0]


@pytest.mark.parametrize("make", [textures, shapes])
def test_never_warped_invariant_images_read_rotation_present(make):
    verdict = _rotation(make(400, 28, 0), QUICK)
    assert verdict.present and verdict.full and max(verdict.tv) < 0.25


def test_upright_shapes_read_rotation_absent():
    verdict = _rotation(shapes(400, 28, 0, upright=True), QUICK)
    assert not verdict.present and verdict.tv[0] > 0.8


def test_upright_textures_read_rotation_absent():
    verdict = _rotation(textures(400, 28, 0, upright=True), TRAINED)
    assert not verdict.present and verdict.tv[1] > 0.8  # 30 degrees: streaks tilted visibly


@pytest.mark.slow
@pytest.mark.parametrize("make", [textures, shapes])
def test_at_64_pixels_invariant_images_are_present_and_upright_ones_absent(make):
    # 600 images: the scored folds are the validation split's halves (60 each; the test split
    # is never read), and at 40 each fine streaks tilted by 15 degrees read within the margin
    assert _rotation(make(600, 64, 0), QUICK).present
    assert not _rotation(make(600, 64, 0, upright=True), TRAINED).present


def _sharpness(images: torch.Tensor) -> float:
    """Mean squared difference of horizontally and vertically adjacent pixels (blur lowers it),
    inside the frame's centre, where content moved in from outside is still noise."""
    images = images[..., 6:14, 6:14]
    return float(images.diff(dim=-1).pow(2).mean() + images.diff(dim=-2).pow(2).mean())


@pytest.mark.parametrize("side", [20, 28, 64])
def test_band_limited_translations_compose_invert_and_move_like_the_image_action(side):
    rng = torch.Generator().manual_seed(side)
    field = torch.randn(4, 1, side, side, dtype=torch.float64, generator=rng)
    for _ in range(2):  # smooth content: the low-pass leaves it alone
        field = torch.nn.functional.avg_pool2d(field, 5, 1, 2, count_include_pad=False)
    centred = torch.arange(side, dtype=torch.float64) - (side - 1) / 2
    envelope = torch.exp(-(centred[:, None] ** 2 + centred[None, :] ** 2) / (2 * (side / 10) ** 2))
    images = translate(field * envelope, None)  # content away from the frame, as on a background
    scale = float(images.abs().max())
    shifts = torch.tensor(
        [[1.3, -0.4], [-2.7, 0.5], [0.25, 3.0], [-0.5, -0.5]], dtype=torch.float64
    )
    again = translate(translate(images, None), None)  # each call low-passes: as many here
    back = translate(translate(images, shifts), -shifts)
    assert float((back - again).abs().max()) < 0.005 * scale
    twice = translate(translate(images, shifts / 2), shifts / 2)
    assert float((twice - translate(translate(images, shifts), None)).abs().max()) < 0.005 * scale
    group = get_group("T2").to(dtype=torch.float64)
    whole = torch.tensor([[2.0, -1.0], [-3.0, 0.0], [0.0, 4.0], [1.0, 1.0]], dtype=torch.float64)
    warped = act(group, group.exp(whole * 2 / side), images, "image")  # whole pixels: exact
    assert float((translate(images, whole) - translate(warped, None)).abs().max()) < 0.005 * scale


@pytest.mark.parametrize("generator", ["shear", "stretch"])
def test_both_arms_of_a_bilinear_move_carry_the_same_blur(generator):
    """Moved by h h, the reference arm by h h^-1, each warp jittered: on white noise (every
    frequency present) the two arms are about as sharp as each other (a zoom changes the noise's
    own frequencies, so it is left out), and the reference arm lands where the input was."""
    from pipeline.data import Dataset
    from pipeline.discovery import probes
    from pipeline.discovery._mover import Mover

    rng = torch.Generator().manual_seed(0)
    noise = torch.rand(600, 1, 20, 20, generator=rng)
    data = Dataset.from_tensors(
        noise,
        torch.zeros(600).long(),
        0,
        name="noise",
        kind="image",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group="trivial",
        num_classes=2,
    )
    group = get_group("affine2").to(dtype=torch.float32)
    found = probes(group, "image")
    mover = Mover(data, group, found, torch.device("cpu"))
    p = [probe.generator for probe in found].index(generator)
    assert mover.paired[p] and not mover.band_limited[p]
    labels = torch.zeros(len(noise)).long()
    for j in range(2):
        step = mover.step(p, j, len(noise), rng)
        moved, _ = mover.move(p, step, noise, labels, rng)
        reference, _ = mover.move(p, step, noise, labels, rng, back=True)
        assert abs(_sharpness(moved) / _sharpness(reference) - 1) < 0.1
    smooth = torch.nn.functional.avg_pool2d(noise[:50], 5, 1, 2)  # content that survives warps
    back, _ = mover.move(p, mover.step(p, 0, 50, rng), smooth, labels[:50], rng, back=True)
    inner = (slice(None), slice(None), slice(5, 15), slice(5, 15))
    a, b = back[inner].flatten(), smooth[inner].flatten()
    assert float(torch.corrcoef(torch.stack([a, b]))[0, 1]) > 0.9
