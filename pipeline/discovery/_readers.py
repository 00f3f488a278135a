"""Readers: small networks that guess which grid element moved an input, one head per probe.

The trunk sees the moved input and, for labelled data, its label (the test is about the joint
distribution of x and its label), so one reader serves every generator of a group. Each trunk
keeps position information (flatten heads, an order-sensitive branch for point sets): a reader
built invariant to a transformation could never see it.

Images larger than FLATTEN_SIDE (64 x 64 RGB) would make the flatten layer huge and the reader
slow; their trunk first averages k x k blocks of pixels down to about POOLED_SIDE (area averaging:
an anti-aliased view, on which the grid's moves, 1/8 of the side and 30 degrees, stay several
pixels wide), adds two coordinate channels (CoordConv, Liu et al. 2018) so that features know
where they are, and pools them globally (mean and max): a fixed-size, position-aware summary
whatever the input size, at a cost that does not grow with it beyond the first averaging.
The data test itself block-averages such images before it moves them
(``_splits.at_reader_resolution``), so its readers see at most POOLED_SIDE; this trunk serves a
``Reader`` built on large images directly.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from pipeline.kinds import kind_record

HIDDEN = 128
FLATTEN_SIDE = 32  # images up to this side keep the flatten trunk (8 x 8 .. 28 x 28 digits)
POOLED_SIDE = 24  # larger images are averaged down to at most this side first


class Reader(nn.Module):
    """(moved inputs, condition) -> logits over each probe's bins."""

    def __init__(self, kind: str, in_shape: tuple[int, ...], condition: int, bins: list[int]):
        super().__init__()
        self.trunk = _trunk(kind, in_shape)
        self.mix = nn.Sequential(nn.Linear(HIDDEN + condition, HIDDEN), nn.ReLU())
        self.heads = nn.ModuleList(nn.Linear(HIDDEN, b) for b in bins)

    def forward(self, x: Tensor, condition: Tensor) -> list[Tensor]:
        features = self.features(x, condition)
        return [head(features) for head in self.heads]

    def features(self, x: Tensor, condition: Tensor) -> Tensor:
        """What every head reads: (B, HIDDEN)."""
        return self.mix(torch.cat([self.trunk(x), condition], dim=1))


def _trunk(kind: str, in_shape: tuple[int, ...]) -> nn.Module:
    return kind_record(kind).trunk_builder()(in_shape)


def image_trunk(in_shape: tuple[int, ...]) -> nn.Module:
    """The flatten trunk, or for images larger than FLATTEN_SIDE the pooled one."""
    if max(in_shape[-2:]) > FLATTEN_SIDE:
        return _PooledTrunk(in_shape)
    return _GridTrunk(in_shape, periodic=False)


def lattice_trunk(in_shape: tuple[int, ...]) -> nn.Module:
    return _GridTrunk(in_shape, periodic=True)


def points_trunk(in_shape: tuple[int, ...]) -> nn.Module:
    return _PointsTrunk(in_shape)


def sequence_trunk(in_shape: tuple[int, ...]) -> nn.Module:
    return _SequenceTrunk(in_shape)


class _GridTrunk(nn.Module):
    """Two strided convolutions and a flatten layer: (B, C, H, W) or (B, L, L) -> (B, HIDDEN)."""

    def __init__(self, in_shape: tuple[int, ...], periodic: bool):
        super().__init__()
        channels = in_shape[0] if len(in_shape) == 3 else 1
        height, width = in_shape[-2:]
        padding = "circular" if periodic else "zeros"
        stride = 2 if min(height, width) >= 12 else 1
        for _ in range(2):
            height, width = -(-height // stride), -(-width // stride)  # ceil: padding 1, kernel 3
        self.net = nn.Sequential(
            nn.Conv2d(channels, 16, 3, stride=stride, padding=1, padding_mode=padding),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=stride, padding=1, padding_mode=padding),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * height * width, HIDDEN),
            nn.ReLU(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x[:, None] if x.dim() == 3 else x)


class _PooledTrunk(nn.Module):
    """Large images: k x k block averages (about POOLED_SIDE left), coordinate channels, three
    convolutions and global mean and max pooling: (B, C, H, W) -> (B, HIDDEN). About 0.01 CPU
    s per training batch of 128 RGB 64 x 64 images, as much as moving them costs."""

    def __init__(self, in_shape: tuple[int, ...]):
        super().__init__()
        channels = in_shape[0] if len(in_shape) == 3 else 1
        self.block = math.ceil(max(in_shape[-2:]) / POOLED_SIDE)
        self.convs = nn.Sequential(
            nn.Conv2d(channels + 2, 16, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3, stride=1, padding=1),
            nn.ReLU(),
        )
        self.out = nn.Sequential(nn.Linear(2 * 32, HIDDEN), nn.ReLU())

    def forward(self, x: Tensor) -> Tensor:
        x = x[:, None] if x.dim() == 3 else x
        x = F.avg_pool2d(x, self.block, self.block, ceil_mode=True)
        rows = torch.linspace(-1, 1, x.shape[-2], device=x.device, dtype=x.dtype)
        cols = torch.linspace(-1, 1, x.shape[-1], device=x.device, dtype=x.dtype)
        grid = torch.stack(torch.meshgrid(rows, cols, indexing="ij")).expand(len(x), -1, -1, -1)
        features = self.convs(torch.cat([x, grid], dim=1))
        pooled = torch.cat([features.mean(dim=(-2, -1)), features.amax(dim=(-2, -1))], dim=1)
        return self.out(pooled)


class _PointsTrunk(nn.Module):
    """DeepSets (mean and max of per-point features) beside an MLP on the ordered points."""

    def __init__(self, in_shape: tuple[int, ...]):
        super().__init__()
        n, k = in_shape
        self.phi = nn.Sequential(nn.Linear(k, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.ordered = nn.Sequential(nn.Flatten(), nn.Linear(n * k, HIDDEN), nn.ReLU())
        self.out = nn.Sequential(nn.Linear(128 + HIDDEN, HIDDEN), nn.ReLU())

    def forward(self, x: Tensor) -> Tensor:
        per_point = self.phi(x)
        pooled = torch.cat([per_point.mean(dim=1), per_point.amax(dim=1)], dim=1)
        return self.out(torch.cat([pooled, self.ordered(x)], dim=1))


class _SequenceTrunk(nn.Module):
    """Two convolutions with a flatten layer: (B, C, N) -> (B, HIDDEN); positions are kept."""

    def __init__(self, in_shape: tuple[int, ...]):
        super().__init__()
        channels, length = in_shape
        self.net = nn.Sequential(
            nn.Conv1d(channels, 16, 5, padding=2),
            nn.ReLU(),
            nn.Conv1d(16, 16, 5, padding=2),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(16 * length, HIDDEN),
            nn.ReLU(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)
