"""Images that were never resampled, with a known rotation symmetry: textures drawn on the
pixel grid from a power spectrum, and shapes rendered analytically (tests and the calibration
bench share them)."""

from __future__ import annotations

import math

import torch

from pipeline.data import Dataset


def _grid(side: int) -> tuple[torch.Tensor, torch.Tensor]:
    centre = torch.arange(side, dtype=torch.float32) - (side - 1) / 2
    return centre[None, :].expand(side, side), centre[:, None].expand(side, side)


def textures(n: int, side: int, seed: int, upright: bool = False) -> Dataset:
    """Gaussian random textures in a disc, two classes of grain (the label). Isotropic: a
    radially symmetric power spectrum, so rotation-invariant by construction; ``upright``:
    streaks along x (the spectrum stretched across them) whose contrast fades from the top of
    the disc to the bottom: a fixed orientation (a half turn no longer maps them onto
    themselves)."""
    rng = torch.Generator().manual_seed(seed)
    labels = torch.randint(2, (n,), generator=rng)
    fx = torch.fft.fftfreq(side)[None, :]
    fy = torch.fft.fftfreq(side)[:, None]
    if upright:
        fx = fx * 4.0  # features long along x: the grain lies horizontally
    radius = torch.sqrt(fx**2 + fy**2)
    grain = torch.tensor([0.08, 0.16])[labels].view(n, 1, 1)  # cut-off frequency per class
    amplitude = torch.exp(-((radius[None] / grain) ** 2))
    real, imaginary = (torch.randn(n, side, side, generator=rng) for _ in range(2))
    noise = real + 1j * imaginary
    field = torch.fft.ifft2(noise * amplitude).real
    field = field / field.flatten(1).std(1).view(n, 1, 1)
    x, y = _grid(side)
    disc = (x**2 + y**2 <= (side / 2) ** 2).float()
    if upright:
        disc = disc * (1.0 - y / side)  # contrast 1.5 at the top, 0.5 at the bottom
    return image_dataset((field * disc)[:, None], labels, seed, "textures", upright)


def shapes(n: int, side: int, seed: int, upright: bool = False) -> Dataset:
    """One smooth ellipse per image (label: elongated or round), rendered analytically with a
    soft edge at a random angle about the centre; ``upright``: long axis along x always."""
    rng = torch.Generator().manual_seed(seed)
    labels = torch.randint(2, (n,), generator=rng)
    long = side * torch.tensor([0.18, 0.3])[labels] * (1 + 0.1 * torch.rand(n, generator=rng))
    short = side * 0.12 * (1 + 0.1 * torch.rand(n, generator=rng))
    angle = torch.zeros(n) if upright else 2 * math.pi * torch.rand(n, generator=rng)
    offset = side * 0.12  # off centre along the long axis: an orientation, not only an axis
    x, y = _grid(side)
    c, s = angle.cos().view(n, 1, 1), angle.sin().view(n, 1, 1)
    u = c * x + s * y - offset  # coordinates along and across the long axis
    v = -s * x + c * y
    r = torch.sqrt((u / long.view(n, 1, 1)) ** 2 + (v / short.view(n, 1, 1)) ** 2)
    edge = side / 28  # about a pixel at 28 x 28: smooth, not a step
    images = torch.sigmoid((1 - r) * short.view(n, 1, 1) / edge)
    return image_dataset(images[:, None], labels, seed, "shapes", upright)


def shifted_shapes(n: int, side: int, seed: int, shift: float) -> Dataset:
    """Upright shapes (``shapes``) drawn moved left or right within +-shift of the side, each at
    its own position (never resampled): the translation tx within +-shift, nothing else."""
    rng = torch.Generator().manual_seed(seed)
    labels = torch.randint(2, (n,), generator=rng)
    long = side * torch.tensor([0.18, 0.3])[labels]
    short = side * 0.12
    moved = side * shift * (2 * torch.rand(n, generator=rng) - 1)
    x, y = _grid(side)
    u = (x - moved.view(n, 1, 1)) / long.view(n, 1, 1)
    r = torch.sqrt(u**2 + (y / short) ** 2)
    images = torch.sigmoid((1 - r) * short / (side / 28))
    return image_dataset(images[:, None], labels, seed, "shifted_shapes", upright=True)


def image_dataset(x: torch.Tensor, y: torch.Tensor, seed: int, name: str, upright: bool) -> Dataset:
    return Dataset.from_tensors(
        x,
        y,
        seed,
        name=name,
        kind="image",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group="trivial" if upright else "SO2",
        num_classes=2,
    )
