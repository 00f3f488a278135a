"""Held-out discovery cases, built as a user would: factories ``(options, seed) -> Dataset``.

None of them uses a built-in dataset or its transforms: images start from scikit-learn's raw
8x8 digits (resized here to 14x14 on a 20x20 canvas), point sets and sequences are generated
here. Each factory draws everything from its seed and declares its true group and the support
of its partial symmetries (``Dataset.support``, in the discovery test's units).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from pipeline.actions import act
from pipeline.data import Dataset
from pipeline.groups import get_group

PLANE = get_group("affine2")


# -- images -----------------------------------------------------------------------------------


def _digits(options: dict, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Generator]:
    from sklearn.datasets import load_digits

    raw = load_digits()
    rng = torch.Generator().manual_seed(seed)
    pick = torch.randperm(len(raw.target), generator=rng)[: options.get("n", 1200)]
    images = torch.tensor(raw.images, dtype=torch.float32)[pick, None] / 16.0
    images = F.pad(F.interpolate(images, size=14, mode="bilinear", align_corners=False), (3,) * 4)
    return images, torch.tensor(raw.target)[pick], rng


def _plane_moves(rng: torch.Generator, n: int, **coefficients: float) -> torch.Tensor:
    """Elements exp(sum_i u_i c_i L_i), u_i uniform in [-1, 1], for the named affine2 generators."""
    amounts = torch.zeros(n, PLANE.lie_dim, dtype=torch.float64)
    for name, size in coefficients.items():
        amounts[:, PLANE.lie_names.index(name)] = (
            2 * torch.rand(n, generator=rng, dtype=torch.float64) - 1
        ) * size
    return PLANE.exp(amounts)


def _images(
    x: torch.Tensor,
    y: torch.Tensor,
    seed: int,
    name: str,
    true_group: str,
    support: dict,
    classes: int = 10,
) -> Dataset:
    return Dataset.from_tensors(
        x,
        y,
        seed,
        name=name,
        kind="image",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group=true_group,
        num_classes=classes,
        support=support,
    )


def rotation_partial(options: dict, seed: int) -> Dataset:
    """Digits turned uniformly within +-max_angle degrees (default 60)."""
    x, y, rng = _digits(options, seed)
    angle = options.get("max_angle", 60.0)
    x = act(PLANE, _plane_moves(rng, len(x), rot=math.radians(angle)), x, "image")
    return _images(x, y, seed, "rotation_partial", "SO2", {"rot": angle})


def translate_x(options: dict, seed: int) -> Dataset:
    """Digits moved left or right within +-max_shift of the side (default 0.2); never up."""
    x, y, rng = _digits(options, seed)
    shift = options.get("max_shift", 0.2)
    x = act(PLANE, _plane_moves(rng, len(x), tx=2 * shift), x, "image")
    return _images(x, y, seed, "translate_x", "T2", {"tx": shift})


def translate_fine(options: dict, seed: int) -> Dataset:
    """Digits moved left or right within +-1/16 of the side (a pixel or so): the resolution."""
    x, y, rng = _digits(options, seed)
    x = act(PLANE, _plane_moves(rng, len(x), tx=2 / 16), x, "image")
    return _images(x, y, seed, "translate_fine", "T2", {"tx": 1 / 16})


def zoom(options: dict, seed: int) -> Dataset:
    """Digits zoomed by factors log-uniform within [1/max_factor, max_factor] (default 1.6)."""
    x, y, rng = _digits(options, seed)
    factor = options.get("max_factor", 1.6)
    x = act(PLANE, _plane_moves(rng, len(x), scale=math.log(factor)), x, "image")
    return _images(x, y, seed, "zoom", "scale", {"scale": factor})


def mirror_only(options: dict, seed: int) -> Dataset:
    """Half of the digits mirrored left-right: the mirror is the only symmetry."""
    x, y, rng = _digits(options, seed)
    flip = torch.rand(len(x), generator=rng) < 0.5
    x[flip] = x[flip].flip(-1)
    return _images(x, y, seed, "mirror_only", "D1", {})


def shear_x(options: dict, seed: int) -> Dataset:
    """Digits sheared horizontally, x' = x + s y with s uniform in [-0.5, 0.5]: a combination of
    affine2's rotation and symmetric shear (bench/discovery_rendered.py's SHEAR_X)."""
    x, y, rng = _digits(options, seed)
    shear = torch.eye(3, dtype=torch.float64).repeat(len(x), 1, 1)
    shear[:, 0, 1] = (2 * torch.rand(len(x), generator=rng, dtype=torch.float64) - 1) * 0.5
    x = act(PLANE, shear, x, "image")
    return _images(x, y, seed, "shear_x", "trivial", {})


def orientation_label(options: dict, seed: int) -> Dataset:
    """Control: digits turned by k quarter turns, and the label is k. Nothing is a symmetry."""
    x, _, rng = _digits(options, seed)
    k = torch.randint(4, (len(x),), generator=rng)
    x = torch.stack([torch.rot90(img, int(q), dims=(-2, -1)) for img, q in zip(x, k, strict=True)])
    return _images(x, k, seed, "orientation_label", "trivial", {}, classes=4)


def label_noise(options: dict, seed: int) -> Dataset:
    """Control: upright digits, 40% of their labels replaced at random. Nothing is a symmetry."""
    x, y, rng = _digits(options, seed)
    noisy = torch.rand(len(y), generator=rng) < options.get("noise", 0.4)
    y = torch.where(noisy, torch.randint(10, (len(y),), generator=rng), y)
    return _images(x, y, seed, "label_noise", "trivial", {})


# -- point sets -------------------------------------------------------------------------------


def _shuffle_points(points: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    order = torch.rand(points.shape[:2], generator=rng).argsort(dim=1)
    return torch.gather(points, 1, order[..., None].expand_as(points))


def _points(
    x: torch.Tensor,
    y: torch.Tensor,
    seed: int,
    name: str,
    true_group: str,
    support: dict,
    classes: int,
) -> Dataset:
    return Dataset.from_tensors(
        x,
        y,
        seed,
        name=name,
        kind="points",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group=true_group,
        num_classes=classes,
        support=support,
    )


def _curves_2d(n_points: int) -> torch.Tensor:
    """Three asymmetric open curves in the plane, n_points each, ordered along the curve."""
    s = torch.linspace(0, 1, n_points)
    hook = torch.stack([0.8 * torch.cos(3 * s), 0.8 * torch.sin(3 * s) - 0.3 * s], dim=1)
    ell = torch.where(
        s[:, None] < 0.6,
        torch.stack([-0.5 + 0 * s, 1.0 - 2.5 * s], 1),
        torch.stack([-0.5 + 2.5 * (s - 0.6), -0.5 + 0 * s], 1),
    )
    wave = torch.stack([2 * s - 1, 0.4 * torch.sin(5 * s) + 0.3 * s], dim=1)
    return torch.stack([hook, ell, wave])


def permutation_only(options: dict, seed: int) -> Dataset:
    """Upright 2D curves sampled as unordered point sets: point order is the only symmetry."""
    n, k = options.get("n", 900), options.get("n_points", 12)
    rng = torch.Generator().manual_seed(seed)
    y = torch.randint(3, (n,), generator=rng)
    x = _curves_2d(k)[y] + 0.03 * torch.randn(n, k, 2, generator=rng)
    return _points(_shuffle_points(x, rng), y, seed, "permutation_only", f"S{k}", {}, 3)


def ordered_points(options: dict, seed: int) -> Dataset:
    """Control: upright 2D curves with their points in order along the curve: no symmetry."""
    n, k = options.get("n", 900), options.get("n_points", 12)
    rng = torch.Generator().manual_seed(seed)
    y = torch.randint(3, (n,), generator=rng)
    x = _curves_2d(k)[y] + 0.03 * torch.randn(n, k, 2, generator=rng)
    return _points(x, y, seed, "ordered_points", "trivial", {}, 3)


def _letters_3d(n_points: int) -> torch.Tensor:
    """Three 3D shapes with no rotational symmetry: a bent 'L', a tilted 'V', a 'T' with a tail."""
    s = torch.linspace(-1, 1, n_points)
    half = s < 0
    bent = torch.where(
        half[:, None], torch.stack([s, 0 * s, 0 * s], 1), torch.stack([0 * s, s, 0.5 * s], 1)
    )
    vee = torch.stack([s, s.abs() - 0.5, 0.6 * s.clamp(min=0)], 1)
    tee = torch.where(
        half[:, None],
        torch.stack([2 * s + 1, 0.6 + 0 * s, 0 * s], 1),
        torch.stack([0 * s, 0.6 - 1.4 * s, -0.7 * s], 1),
    )
    return torch.stack([bent, vee, tee])


def spin_z(options: dict, seed: int) -> Dataset:
    """3D letters spun about the vertical (z) axis only, by any angle; points unordered."""
    n, k = options.get("n", 900), options.get("n_points", 16)
    rng = torch.Generator().manual_seed(seed)
    y = torch.randint(3, (n,), generator=rng)
    x = _letters_3d(k)[y] + 0.03 * torch.randn(n, k, 3, generator=rng)
    angle = (2 * torch.rand(n, generator=rng) - 1) * math.pi
    cos, sin = angle.cos(), angle.sin()
    spun = torch.stack(
        [cos * x[..., 0].T - sin * x[..., 1].T, sin * x[..., 0].T + cos * x[..., 1].T, x[..., 2].T],
        -1,
    ).transpose(0, 1)
    return _points(
        _shuffle_points(spun.contiguous(), rng), y, seed, "spin_z", f"SO3*S{k}", {"rz": 180.0}, 3
    )


# -- sequences --------------------------------------------------------------------------------


def _waves(n: int, length: int, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Three waveforms with a positive offset (a sign flip is visible), plus noise."""
    t = torch.arange(length) * 2 * math.pi / length
    shapes = torch.stack(
        [
            0.6 + torch.sin(t) + 0.5 * torch.sin(2 * t),
            0.6 + torch.sign(torch.sin(t)) * 0.8,
            0.6 + torch.relu(torch.sin(3 * t)) * 1.5,
        ]
    )
    y = torch.randint(3, (n,), generator=rng)
    return shapes[y] + 0.2 * torch.randn(n, length, generator=rng), y


def _roll(x: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    return torch.stack([row.roll(int(s)) for row, s in zip(x, shifts, strict=True)])


def _sequences(
    x: torch.Tensor, y: torch.Tensor, seed: int, name: str, true_group: str, support: dict
) -> Dataset:
    return Dataset.from_tensors(
        x[:, None],
        y,
        seed,
        name=name,
        kind="sequence",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group=true_group,
        num_classes=3,
        support=support,
    )


def shift_full(options: dict, seed: int) -> Dataset:
    """Waveforms at a random phase: every cyclic shift is a symmetry."""
    n, length = options.get("n", 900), options.get("length", 32)
    rng = torch.Generator().manual_seed(seed)
    x, y = _waves(n, length, rng)
    x = _roll(x, torch.randint(length, (n,), generator=rng))
    return _sequences(x, y, seed, "shift_full", f"shift{length}", {"shift1": length / 2})


def shift_partial(options: dict, seed: int) -> Dataset:
    """Waveforms shifted by whole positions within +-max_shift (default 4)."""
    n, length, most = options.get("n", 900), options.get("length", 32), options.get("max_shift", 4)
    rng = torch.Generator().manual_seed(seed)
    x, y = _waves(n, length, rng)
    x = _roll(x, torch.randint(-most, most + 1, (n,), generator=rng))
    return _sequences(x, y, seed, "shift_partial", f"shift{length}", {"shift1": float(most)})


def fixed_phase(options: dict, seed: int) -> Dataset:
    """Control: waveforms at a fixed phase; neither shifts nor the sign flip are symmetries."""
    n, length = options.get("n", 900), options.get("length", 32)
    x, y = _waves(n, length, torch.Generator().manual_seed(seed))
    return _sequences(x, y, seed, "fixed_phase", "trivial", {})
