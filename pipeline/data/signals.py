"""1D periodic signals whose class is a waveform, wherever it starts: shift-invariant labels."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch

from pipeline.data._base import Dataset, check_range
from pipeline.groups import get_group


@dataclass(frozen=True)
class SignalOptions:
    length: int = 32
    n_classes: int = 4
    n_samples: int = 1000
    transform: Literal["shift", "none"] = "shift"  # random cyclic shift, or aligned waveforms
    noise: float = 0.3  # Gaussian noise per sample point
    harmonics: int = 4  # waveforms are random mixtures of the first few harmonics

    def __post_init__(self) -> None:
        check_range("length", self.length, 4, 4096)
        check_range("n_classes", self.n_classes, 2, 64)
        check_range("n_samples", self.n_samples, 10, 100_000)
        check_range("noise", self.noise, 0, 10)
        check_range("harmonics", self.harmonics, 1, self.length // 2)


def waveforms(options: SignalOptions) -> torch.Tensor:
    """One unit-variance periodic waveform per class (n_classes, length); fixed across seeds."""
    rng = torch.Generator().manual_seed(1_000_003)  # class definitions do not depend on seed
    t = torch.arange(options.length) * 2 * math.pi / options.length
    k = torch.arange(1, options.harmonics + 1)[:, None]
    a, b = torch.randn(2, options.n_classes, options.harmonics, 1, generator=rng)
    waves = (a * torch.cos(k * t) + b * torch.sin(k * t)).sum(dim=1)
    return waves / waves.std(dim=1, keepdim=True)


def build(options: SignalOptions, seed: int) -> Dataset:
    rng = torch.Generator().manual_seed(seed)
    labels = torch.randint(options.n_classes, (options.n_samples,), generator=rng)
    signals = waveforms(options)[labels]
    if options.transform == "shift":
        starts = torch.randint(options.length, (options.n_samples,), generator=rng)
        index = (torch.arange(options.length)[None] - starts[:, None]) % options.length
        signals = signals.gather(1, index)
    signals = signals + options.noise * torch.randn(signals.shape, generator=rng)
    true_group = f"shift{options.length}" if options.transform == "shift" else "trivial"
    get_group(true_group)  # fail early on an impossible length
    return Dataset.from_tensors(
        signals[:, None, :],
        labels,
        seed,
        name="signals",
        kind="sequence",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group=true_group,
        num_classes=options.n_classes,
        options=vars(options),
    )
