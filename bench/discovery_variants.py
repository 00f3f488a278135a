"""A second held-out set for the discovery test: other kinds, axes and extents than the suite's
cases, built the same way (factories through the bring-your-own dataset API). The last six add
a regression target, an equivariant target, oriented textures (C2 inside SO2), a 64 x 64 RGB
control, digits turned by thirds (C3 inside SO2) and shapes sheared horizontally (a direction
inside affine2); all but the digits are drawn without warping (bench/discovery_rendered.py).

The suite's defaults were never tuned on these: ``python bench/discovery_suite.py --variants``
runs them in its place and prints the same figures.
"""

from __future__ import annotations

import math

import discovery_cases as base
import torch

from pipeline.actions import act
from pipeline.groups import Group

DTYPE = torch.float64
REVERSAL = "discovery_variants:reversal_group"


def rotation_wide(options: dict, seed: int):
    """Digits turned within +-90 degrees."""
    return base.rotation_partial({**options, "max_angle": 90.0}, seed)


def rotation_tilt30(options: dict, seed: int):
    """Digits turned within +-30 degrees: a partial rotation at the test's resolution."""
    return base.rotation_partial({**options, "max_angle": 30.0}, seed)


def rotation_full(options: dict, seed: int):
    """Digits at every angle: the whole rotation group."""
    x, y, rng = base._digits(options, seed)
    x = act(base.PLANE, base._plane_moves(rng, len(x), rot=math.pi), x, "image")
    return base._images(x, y, seed, "rotation_full", "SO2", {"rot": 180.0})


def translate_y(options: dict, seed: int):
    """Digits moved up or down within +-0.25 of the side; never sideways."""
    x, y, rng = base._digits(options, seed)
    x = act(base.PLANE, base._plane_moves(rng, len(x), ty=0.5), x, "image")
    return base._images(x, y, seed, "translate_y", "T2", {"ty": 0.25})


def translate_both(options: dict, seed: int):
    """Digits moved within +-0.2 of the side along both axes."""
    x, y, rng = base._digits(options, seed)
    x = act(base.PLANE, base._plane_moves(rng, len(x), tx=0.4, ty=0.4), x, "image")
    return base._images(x, y, seed, "translate_both", "T2", {"tx": 0.2, "ty": 0.2})


def zoom_wide(options: dict, seed: int):
    """Digits zoomed by factors within [1/2, 2] (small ones on a 20-pixel canvas)."""
    return base.zoom({**options, "max_factor": 2.0}, seed)


def digits_small_canvas(options: dict, seed: int):
    """Control: upright digits drawn at 12 pixels on a 16-pixel canvas, no symmetry."""
    import torch.nn.functional as F
    from sklearn.datasets import load_digits

    raw = load_digits()
    rng = torch.Generator().manual_seed(seed)
    pick = torch.randperm(len(raw.target), generator=rng)[:1200]
    images = torch.tensor(raw.images, dtype=torch.float32)[pick, None] / 16.0
    images = F.pad(F.interpolate(images, size=12, mode="bilinear", align_corners=False), (2,) * 4)
    return base._images(
        images, torch.tensor(raw.target)[pick], seed, "digits_small_canvas", "trivial", {}
    )


def reversal_group() -> Group:
    """Time reversal of a cyclic sequence, position k -> -k: a reflection of its circle."""
    return Group(
        name="reversal",
        domain="circle",
        lie_algebra=torch.zeros(0, 2, 2, dtype=DTYPE),
        discrete_generators=torch.diag(torch.tensor([1.0, -1.0], dtype=DTYPE))[None],
        generator_orders=(2,),
        order=2,
        lie_names=(),
        lie_ranges=(),
        discrete_names=("reverse",),
        acts_on=frozenset({"sequence"}),
        description="time reversal k -> -k",
    )


def reversal(options: dict, seed: int):
    """Waveforms at a fixed phase, half of them reversed in time: the reversal is the symmetry."""
    n, length = options.get("n", 900), options.get("length", 32)
    rng = torch.Generator().manual_seed(seed)
    x, y = base._waves(n, length, rng)
    flip = torch.rand(n, generator=rng) < 0.5
    group = reversal_group().to(dtype=torch.float32)
    reversed_ = act(
        group,
        group.discrete_generators.expand(int(flip.sum()), -1, -1),
        x[flip][:, None],
        "sequence",
    )
    x[flip] = reversed_[:, 0]
    return base._sequences(x, y, seed, "reversal", REVERSAL, {})


def shift_wide(options: dict, seed: int):
    """Waveforms shifted within +-8 positions."""
    return base.shift_partial({**options, "max_shift": 8}, seed)


def noisy_fixed_phase(options: dict, seed: int):
    """Control: fixed-phase waveforms with a third of their labels at random."""
    data = base.fixed_phase(options, seed)
    rng = torch.Generator().manual_seed(seed + 1000)
    for split in (data.train, data.val, data.test):
        noisy = torch.rand(len(split.targets), generator=rng) < 1 / 3
        split.targets[noisy] = torch.randint(3, (int(noisy.sum()),), generator=rng)
    return data


def _shapes_at_random_angles(shapes, options: dict, seed: int, points: int):
    """Labels, noisy copies of ``shapes(n_points)`` and a uniform angle per sample, and the rng."""
    n, k = options.get("n", 900), options.get("n_points", points)
    rng = torch.Generator().manual_seed(seed)
    y = torch.randint(3, (n,), generator=rng)
    template = shapes(k)
    x = template[y] + 0.03 * torch.randn(n, k, template.shape[-1], generator=rng)
    angle = (2 * torch.rand(n, generator=rng) - 1)[:, None] * math.pi
    return y, x, angle.cos(), angle.sin(), rng


def spin_x(options: dict, seed: int):
    """3D letters spun about the x axis only; points unordered."""
    y, x, cos, sin, rng = _shapes_at_random_angles(base._letters_3d, options, seed, 16)
    spun = torch.stack(
        [x[..., 0], cos * x[..., 1] - sin * x[..., 2], sin * x[..., 1] + cos * x[..., 2]], -1
    )
    return base._points(
        base._shuffle_points(spun, rng), y, seed, "spin_x", f"SO3*S{x.shape[1]}", {"rx": 180.0}, 3
    )


def planar_rotated_sets(options: dict, seed: int):
    """2D curves at every angle, as unordered point sets: rotations and permutations."""
    y, x, cos, sin, rng = _shapes_at_random_angles(base._curves_2d, options, seed, 12)
    x = torch.stack([cos * x[..., 0] - sin * x[..., 1], sin * x[..., 0] + cos * x[..., 1]], -1)
    return base._points(
        base._shuffle_points(x, rng),
        y,
        seed,
        "planar_rotated_sets",
        f"SO2*S{x.shape[1]}",
        {"rot": 180.0},
        3,
    )


def digits_thirds(options: dict, seed: int):
    """Digits turned by k * 120 degrees (warped): C3, inside SO2 as its 120-degree turns."""
    x, y, rng = base._digits(options, seed)
    angle = 2 * math.pi / 3 * torch.randint(3, (len(x),), generator=rng).double()
    amounts = torch.zeros(len(x), base.PLANE.lie_dim, dtype=DTYPE)
    amounts[:, base.PLANE.lie_names.index("rot")] = angle
    x = act(base.PLANE, base.PLANE.exp(amounts), x, "image")
    return base._images(x, y, seed, "digits_thirds", "C3", {})


def _images(*present: str) -> dict[str, bool]:
    return {g: g in present for g in ("rot", "tx", "ty", "scale", "mirror")}


# A horizontal shear: every affine2 generator absent, a proposed direction along SHEAR_X.
AFFINE_SHEAR_X = {
    **{g: False for g in ("tx", "ty", "rot", "scale", "stretch", "shear")},
    "direction": "SHEAR_X",
}


IMAGES = "SO2*T2*scale*D1"
# (case, group the test probes, true presence per generator, control?)
VARIANTS = [
    ("rotation_wide", IMAGES, _images("rot"), False),
    ("rotation_full", IMAGES, _images("rot"), False),
    ("rotation_tilt30", IMAGES, _images("rot"), False),  # +-30 degrees: the resolution
    ("translate_y", IMAGES, _images("ty"), False),
    ("translate_both", IMAGES, _images("tx", "ty"), False),
    ("zoom_wide", IMAGES, _images("scale"), False),
    ("digits_small_canvas", IMAGES, _images(), True),
    ("reversal", f"shift32*{REVERSAL}", {"shift1": False, "reverse": True}, False),
    ("shift_wide", "shift32*flip", {"shift1": True, "flip": False}, False),
    ("noisy_fixed_phase", "shift32*flip", {"shift1": False, "flip": False}, True),
    (
        "spin_x",
        "SO3*S16",
        {"rx": True, "ry": False, "rz": False, "cycle16": True, "swap01": True},
        False,
    ),
    ("planar_rotated_sets", "SO2*S12", {"rot": True, "cycle12": True, "swap01": True}, False),
    ("discovery_rendered:shapes_size", IMAGES, {**_images("rot"), "mirror": False}, False),
    ("discovery_rendered:shapes_heading", IMAGES, _images("rot"), False),
    ("discovery_rendered:textures_oriented", IMAGES, {**_images(), "rot": 2}, False),
    ("discovery_rendered:rgb64_upright", IMAGES, _images(), True),
    ("discovery_rendered:rgb64_shift_fine", IMAGES, _images("tx"), False),
    ("digits_thirds", "SO2", {"rot": 3}, False),
    ("discovery_rendered:shear_x", "affine2", AFFINE_SHEAR_X, False),
]
