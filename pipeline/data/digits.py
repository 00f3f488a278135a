"""scikit-learn's bundled 8x8 digits, upsampled and padded, with an injected symmetry."""

from __future__ import annotations

import functools
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from pipeline.actions import act
from pipeline.data._base import Dataset, Preprocess, check_range
from pipeline.groups import get_group

# transform -> true group. Upright digits have none: a 6 is not a rotated 9. A rotation range
# is a partial SO2 symmetry: its true group is SO2, with widths up to max_angle.
TRUE_GROUPS = {
    "none": "trivial",
    "SO2": "SO2",
    "rotation": "SO2",
    "C4": "C4",
    "T2": "T2",
    "scale": "scale",
}


@dataclass(frozen=True)
class DigitsOptions:
    transform: Literal["none", "SO2", "rotation", "C4", "T2", "scale"] = "none"
    max_angle: float = 45.0  # degrees, for transform=rotation: angles uniform in +-max_angle
    max_shift: float = 0.25  # for T2: shifts uniform in +-max_shift of the image side
    max_scale: float = 1.3  # for scale: factors log-uniform in [1/max_scale, max_scale]
    upsample: int = 16  # 8x8 -> 16x16 (bilinear) keeps strokes smooth enough to rotate
    size: int = 24  # then zero-padded to 24x24 so rotated corners stay in the frame
    limit: int = 0  # use only the first `limit` digits (0: all 1797), for quick runs

    def __post_init__(self) -> None:
        check_range("max_angle", self.max_angle, 0, 180)
        check_range("max_shift", self.max_shift, 0, 0.5)
        check_range("max_scale", self.max_scale, 1, 2)
        check_range("upsample", self.upsample, 8, 64)
        check_range("size", self.size, self.upsample, 128)
        check_range("limit", self.limit, 0, 1797)


RAW_SHAPE = (8, 8)  # scikit-learn's digits: 8x8 images of 0..16 ink levels


def load_images(options: DigitsOptions) -> tuple[torch.Tensor, torch.Tensor]:
    """Upright digits as (N, 1, size, size) in [0, 1] and their labels (N,)."""
    raw, target = bundled_digits()
    images = torch.tensor(raw, dtype=torch.float32)
    labels = torch.tensor(target, dtype=torch.long)
    if options.limit:
        images, labels = images[: options.limit], labels[: options.limit]
    return preprocess(images, options.upsample, options.size), labels


def bundled_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled digits: images (1797, 8, 8) and labels, nothing downloaded.

    Read from the file scikit-learn ships, as its ``load_digits`` reads it, without importing
    scikit-learn (1-2 CPU seconds in every process that builds the dataset: each trial's worker,
    each data test); through ``load_digits`` where the file is not where it used to be.
    """
    spec = importlib.util.find_spec("sklearn")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            table = np.loadtxt(path, delimiter=",")
            return table[:, :-1].reshape(-1, *RAW_SHAPE), table[:, -1].astype(int)
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images, digits.target


def preprocess(raw: torch.Tensor, upsample: int, size: int) -> torch.Tensor:
    """Raw 8x8 digits (N, 8, 8) with ink levels 0..16 as the network's (N, 1, size, size)
    inputs in [0, 1]: scaled, upsampled (bilinear) and zero-padded around the centre."""
    images = raw.to(torch.float32)[:, None] / 16.0
    images = F.interpolate(images, size=upsample, mode="bilinear", align_corners=False)
    pad = size - upsample
    return F.pad(images, (pad // 2, pad - pad // 2, pad // 2, pad - pad // 2))


def _transform_elements(options: DigitsOptions, n: int, rng: torch.Generator) -> torch.Tensor:
    """One element per image of the group the transform injects."""
    if options.transform in ("SO2", "C4"):
        return get_group(options.transform).sample(n, rng)
    unit = 2 * torch.rand(n, generator=rng, dtype=torch.float64) - 1  # uniform in [-1, 1]
    if options.transform == "rotation":
        return get_group("SO2").exp((unit * math.radians(options.max_angle))[:, None])
    if options.transform == "T2":
        other = 2 * torch.rand(n, generator=rng, dtype=torch.float64) - 1
        shifts = torch.stack([unit, other], dim=1) * 2 * options.max_shift  # side = 2 units
        return get_group("T2").exp(shifts)
    return get_group("scale").exp((unit * math.log(options.max_scale))[:, None])


def build(options: DigitsOptions, seed: int) -> Dataset:
    images, labels = load_images(options)
    true_group = TRUE_GROUPS[options.transform]
    if options.transform != "none":
        rng = torch.Generator().manual_seed(seed)
        group = get_group(true_group)
        images = act(group, _transform_elements(options, len(images), rng), images, "image")
    return Dataset.from_tensors(
        images,
        labels,
        seed,
        name="digits",
        kind="image",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group=true_group,
        num_classes=10,
        options=vars(options),
        support=_support(options),
        preprocess=Preprocess(
            RAW_SHAPE,
            functools.partial(preprocess, upsample=options.upsample, size=options.size),
            "scikit-learn's 8x8 digits (load_digits().images), ink levels 0..16",
        ),
    )


def _support(options: DigitsOptions) -> dict[str, float]:
    """The extent of a partial transform, in the units of the robustness grid."""
    if options.transform == "rotation":
        return {"rot": options.max_angle}
    if options.transform == "T2":
        return {"tx": options.max_shift, "ty": options.max_shift}
    if options.transform == "scale":
        return {"scale": options.max_scale}
    return {}
