"""Never-warped discovery cases: images drawn analytically at their pose, never resampled.

A symmetry test on images that went through a bilinear warp may read the interpolation; these
cases draw each image at its own angle, position or scale from a formula, so the only thing a
move changes is the pose. Shapes are sums of Gaussian blobs at chiral arrangements (no mirror
symmetry of their own); textures are isotropic Gaussian random fields (white noise filtered by a
radial band in the Fourier domain) in a soft disc. Each factory ``(options, seed) -> Dataset``
declares its true group and supports, like ``discovery_cases``.
"""

from __future__ import annotations

import math

import torch

from pipeline.data import Dataset

# Blob arrangements (x, y, width) per class: no rotation or mirror maps one onto itself.
SHAPES = (
    ((0.42, 0.0, 0.16), (-0.18, 0.14, 0.12), (0.02, 0.40, 0.09)),
    ((0.30, -0.25, 0.12), (-0.35, -0.05, 0.16), (0.10, 0.35, 0.10), (0.0, 0.0, 0.08)),
    ((0.0, 0.45, 0.14), (0.38, 0.10, 0.10), (-0.25, -0.30, 0.12)),
)
COLOURS = ((1.0, 0.3, 0.1), (0.2, 0.8, 0.3), (0.2, 0.4, 1.0))
# A horizontal shear x' = x + s y in the plane's (x, y) coordinates: the true combination
# direction of ``shear_x`` (half rotation, half symmetric shear inside affine2).
SHEAR_X = ((0.0, 1.0, 0.0), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0))


def _coordinates(side: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel centres in [-1, 1], x to the right and y down the rows (the plane's axes)."""
    axis = (torch.arange(side) + 0.5) / side * 2 - 1
    y, x = torch.meshgrid(axis, axis, indexing="ij")
    return x, y


def render(labels: torch.Tensor, pose: torch.Tensor, side: int, rgb: bool = False) -> torch.Tensor:
    """Shapes of class ``labels`` drawn at ``pose`` (n, 3, 3 affine maps of the plane): each of
    the template's round blobs moved as a whole, its centre by the map and its covariance
    width^2 I to width^2 A A^T (A the linear part), so the picture is the template moved by the
    map itself, sheared blobs included: (n, 1 or 3, side, side)."""
    x, y = _coordinates(side)
    out = torch.zeros(len(labels), 3 if rgb else 1, side, side)
    for i, (label, move) in enumerate(zip(labels.tolist(), pose, strict=True)):
        linear, shift = move[:2, :2], move[:2, 2]
        precision = torch.linalg.inv(linear @ linear.T).float()  # of the unit-width blob
        picture = torch.zeros(side, side)
        for bx, by, width in SHAPES[label % len(SHAPES)]:
            cx, cy = (linear @ torch.tensor([bx, by], dtype=move.dtype) + shift).tolist()
            dx, dy = x - cx, y - cy
            form = precision[0, 0] * dx**2 + 2 * precision[0, 1] * dx * dy + precision[1, 1] * dy**2
            picture += torch.exp(-form / (2 * width**2))
        picture = picture.clamp(max=1.0)
        if rgb:
            out[i] = picture * torch.tensor(COLOURS[label % len(COLOURS)])[:, None, None]
        else:
            out[i, 0] = picture
    return out


def _poses(
    n: int,
    rng: torch.Generator,
    turn: float = 0.0,
    shift_x: float = 0.0,
    shear: float = 0.0,
    turns_of: int = 0,
) -> torch.Tensor:
    """Affine maps: a rotation uniform within +-turn radians (or by k * 2 pi / turns_of), a
    horizontal shift within +-shift_x (plane units: the side is 2), a horizontal shear."""
    angle = (2 * torch.rand(n, generator=rng, dtype=torch.float64) - 1) * turn
    if turns_of:
        angle = 2 * math.pi / turns_of * torch.randint(turns_of, (n,), generator=rng).double()
    s = (2 * torch.rand(n, generator=rng, dtype=torch.float64) - 1) * shear
    pose = torch.eye(3, dtype=torch.float64).repeat(n, 1, 1)
    pose[:, 0, 0], pose[:, 0, 1] = angle.cos(), -angle.sin()
    pose[:, 1, 0], pose[:, 1, 1] = angle.sin(), angle.cos()
    shear_matrix = torch.eye(3, dtype=torch.float64).repeat(n, 1, 1)
    shear_matrix[:, 0, 1] = s
    pose = shear_matrix @ pose
    pose[:, 0, 2] = (2 * torch.rand(n, generator=rng, dtype=torch.float64) - 1) * shift_x
    return pose


def _dataset(
    x: torch.Tensor, y: torch.Tensor, seed: int, name: str, true_group: str, support: dict, **task
) -> Dataset:
    fields = {
        "task": "classification",
        "metric": "accuracy",
        "metric_mode": "max",
        "num_classes": len(SHAPES),
        **task,
    }
    return Dataset.from_tensors(
        x, y, seed, name=name, kind="image", true_group=true_group, support=support, **fields
    )


def _labels(options: dict, seed: int, default: int = 900):
    rng = torch.Generator().manual_seed(seed)
    n = options.get("n", default)
    return torch.randint(len(SHAPES), (n,), generator=rng), rng


def shapes_turning(options: dict, seed: int) -> Dataset:
    """Chiral blob shapes drawn at every angle, 28 x 28: the whole rotation group."""
    y, rng = _labels(options, seed)
    x = render(y, _poses(len(y), rng, turn=math.pi), options.get("side", 28))
    return _dataset(x, y, seed, "shapes_turning", "SO2", {"rot": 180.0})


def shapes_tilt30(options: dict, seed: int) -> Dataset:
    """Chiral shapes drawn tilted within +-30 degrees, 28 x 28: a partial rotation at the test's
    resolution (18.75 degrees), which must be placed in every seed."""
    y, rng = _labels(options, seed)
    x = render(y, _poses(len(y), rng, turn=math.pi / 6), options.get("side", 28))
    return _dataset(x, y, seed, "shapes_tilt30", "SO2", {"rot": 30.0})


def shapes_small(options: dict, seed: int) -> Dataset:
    """The same at 200 examples (120 to train, 40 per held-out split)."""
    return shapes_turning({"n": 200, **options}, seed)


def shapes_upright(options: dict, seed: int) -> Dataset:
    """Control: the shapes upright and centred. Nothing is a symmetry."""
    y, rng = _labels(options, seed)
    x = render(y, _poses(len(y), rng), options.get("side", 28))
    return _dataset(x, y, seed, "shapes_upright", "trivial", {})


def shapes_thirds(options: dict, seed: int) -> Dataset:
    """Shapes turned by k * 120 degrees: C3, which lives in C6 as rot6^2."""
    y, rng = _labels(options, seed)
    x = render(y, _poses(len(y), rng, turns_of=3), options.get("side", 28))
    return _dataset(x, y, seed, "shapes_thirds", "C3", {})


def shear_x(options: dict, seed: int) -> Dataset:
    """Shapes sheared horizontally, x' = x + s y with s uniform in [-0.5, 0.5]: a combination
    of affine2's rotation and symmetric shear (SHEAR_X)."""
    y, rng = _labels(options, seed)
    x = render(y, _poses(len(y), rng, shear=options.get("max_shear", 0.5)), options.get("side", 28))
    return _dataset(x, y, seed, "shear_x", "trivial", {})


def rgb64_shift(options: dict, seed: int) -> Dataset:
    """Coloured shapes on 64 x 64 RGB, moved left or right within +-0.2 of the side."""
    y, rng = _labels(options, seed)
    x = render(y, _poses(len(y), rng, shift_x=0.4), options.get("side", 64), rgb=True)
    return _dataset(x, y, seed, "rgb64_shift", "T2", {"tx": 0.2})


def shapes_shift_fine(options: dict, seed: int) -> Dataset:
    """Chiral shapes drawn upright, moved left or right within +-1/16 of the side, 28 x 28."""
    y, rng = _labels(options, seed)
    x = render(y, _poses(len(y), rng, shift_x=2 / 16), options.get("side", 28))
    return _dataset(x, y, seed, "shapes_shift_fine", "T2", {"tx": 1 / 16})


def rgb64_shift_fine(options: dict, seed: int) -> Dataset:
    """Coloured shapes on 64 x 64 RGB, moved left or right within +-1/16 of the side."""
    y, rng = _labels(options, seed)
    x = render(y, _poses(len(y), rng, shift_x=2 / 16), options.get("side", 64), rgb=True)
    return _dataset(x, y, seed, "rgb64_shift_fine", "T2", {"tx": 1 / 16})


def rgb64_upright(options: dict, seed: int) -> Dataset:
    """Control: coloured shapes on 64 x 64 RGB, upright and centred."""
    y, rng = _labels(options, seed)
    x = render(y, _poses(len(y), rng), options.get("side", 64), rgb=True)
    return _dataset(x, y, seed, "rgb64_upright", "trivial", {})


def shapes_size(options: dict, seed: int) -> Dataset:
    """Regression: shapes of one class turned within +-60 degrees and zoomed by a factor within
    [0.7, 1.3]; the target is the factor (an invariant of the rotation, not of the zoom)."""
    y, rng = _labels(options, seed)
    pose = _poses(len(y), rng, turn=math.radians(60))
    factor = 0.7 + 0.6 * torch.rand(len(y), generator=rng, dtype=torch.float64)
    pose[:, :2, :2] *= factor[:, None, None]
    x = render(torch.zeros_like(y), pose, options.get("side", 28))
    return _dataset(
        x,
        factor.float()[:, None],
        seed,
        "shapes_size",
        "SO2",
        {"rot": 60.0},
        task="regression",
        metric="mse",
        metric_mode="min",
        num_classes=None,
    )


def shapes_heading(options: dict, seed: int) -> Dataset:
    """Equivariant target: shapes at every angle, the target the heading (cos, sin) as a point,
    which turns with the image (``target_kind`` points)."""
    y, rng = _labels(options, seed)
    pose = _poses(len(y), rng, turn=math.pi)
    heading = pose[:, :2, 0].float()[:, None, :]  # the image of the x axis: (n, 1, 2)
    x = render(torch.zeros_like(y), pose, options.get("side", 28))
    return _dataset(
        x,
        heading,
        seed,
        "shapes_heading",
        "SO2",
        {"rot": 180.0},
        task="regression",
        metric="mse",
        metric_mode="min",
        num_classes=None,
        target_kind="points",
    )


def _textures(
    n: int, side: int, rng: torch.Generator, bands: torch.Tensor, oriented: bool
) -> torch.Tensor:
    """Gaussian random fields in a soft disc: white noise through a radial band around
    ``bands`` (cycles per side) per image, or through an oriented band (upright control)."""
    freq = torch.fft.fftfreq(side) * side
    fy, fx = torch.meshgrid(freq, freq, indexing="ij")
    radius = (fx**2 + fy**2).sqrt()
    noise = torch.randn(n, side, side, generator=rng)
    spectrum = torch.exp(-((radius[None] - bands[:, None, None]) ** 2) / 2.0)
    if oriented:  # keep frequencies near 30 degrees: stripes at one orientation, no mirror
        along = (fx * math.cos(math.pi / 6) + fy * math.sin(math.pi / 6)) / radius.clamp(min=1e-6)
        spectrum = spectrum * torch.exp(-(1 - along**2) / 0.05)[None]
    field = torch.fft.ifft2(torch.fft.fft2(noise) * spectrum).real
    field = field / field.flatten(1).std(dim=1)[:, None, None]
    x, y = _coordinates(side)
    window = torch.sigmoid((0.8 - (x**2 + y**2).sqrt()) * side / 2)  # soft edge of a pixel or so
    return (0.5 + 0.2 * field * window)[:, None]


def textures_disc(options: dict, seed: int) -> Dataset:
    """Isotropic textures in a disc, two classes by their band (3 or 6 cycles per side):
    rotation and mirror invariant by construction, never resampled."""
    y, rng = _labels(options, seed)
    y = y % 2
    side = options.get("side", 28)
    x = _textures(len(y), side, rng, 3.0 + 3.0 * y.float(), oriented=False)
    return _dataset(x, y, seed, "textures_disc", "O2", {"rot": 180.0}, num_classes=2)


def textures_oriented(options: dict, seed: int) -> Dataset:
    """The textures' frequencies kept near 30 degrees (stripes at one slant): no rotation but
    the half turn (a real field's spectrum is symmetric: C2), no mirror, move or zoom."""
    y, rng = _labels(options, seed)
    y = y % 2
    side = options.get("side", 28)
    x = _textures(len(y), side, rng, 3.0 + 3.0 * y.float(), oriented=True)
    return _dataset(x, y, seed, "textures_oriented", "C2", {}, num_classes=2)
