"""Unconstrained backbones, one per data kind. None is built to be invariant to anything beyond
what its data kind forces: the learnable augmentation is what supplies symmetry."""

from __future__ import annotations

from typing import Annotated, Literal

import torch
from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass
from torch import Tensor, nn

Width = Annotated[int, Field(ge=1, le=65_536)]  # bounds: a typo'd 1e9 is refused, not allocated
Blocks = Annotated[tuple[Width, ...], Field(max_length=16)]
Kernel = Annotated[int, Field(ge=1, le=64)]
OPTIONS = ConfigDict(extra="forbid")  # backbone options are validated like the search space


@dataclass(frozen=True, config=OPTIONS)
class ImageConfig:
    channels: Blocks = (
        32,
        64,
    )  # two conv blocks fit 24x24 digits; more adds time, not accuracy
    hidden: Width = 128  # dense layer after flattening: a flatten head keeps position information
    dropout: Annotated[float, Field(ge=0, lt=1)] = 0.0  # the augmentation already regularizes


@dataclass(frozen=True, config=OPTIONS)
class PointsConfig:
    arch: Literal["auto", "deepsets", "mlp"] = (
        "auto"  # deepsets for per-cloud outputs (clouds are sets), mlp for per-point outputs
    )
    hidden: Width = 128  # width of both the per-point and the pooled MLP
    layers: Annotated[int, Field(ge=0, le=64)] = 2  # per MLP


@dataclass(frozen=True, config=OPTIONS)
class SequenceConfig:
    channels: Blocks = (32, 32)
    kernel: Kernel = 5  # zero padding and a flatten head: shifts are not built in
    hidden: Width = 64


@dataclass(frozen=True, config=OPTIONS)
class LatticeConfig:
    channels: Blocks = (16, 16)
    kernel: Kernel = 3  # periodic (circular) padding: the lattice is a torus


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class ImageNet(nn.Module):
    """conv-maxpool-relu blocks, flatten, one hidden layer: (B, C, H, W) -> (B, out)."""

    def __init__(self, config: ImageConfig, in_shape: tuple[int, ...], out_features: int):
        super().__init__()
        channels, height, width = in_shape
        blocks: list[nn.Module] = []
        for c in config.channels:
            # pool, then ReLU: the same function and gradients as ReLU then pool (ReLU is
            # monotone), with the ReLU on a quarter of the values
            blocks += [nn.Conv2d(channels, c, 3, padding=1), nn.MaxPool2d(2), nn.ReLU()]
            channels, height, width = c, height // 2, width // 2
        self.features = nn.Sequential(*blocks, nn.Flatten())
        self.head = nn.Sequential(
            nn.Linear(channels * height * width, config.hidden),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden, out_features),
        )

    def forward(self, x: Tensor) -> Tensor:
        if torch.is_grad_enabled() or x.dim() != 4:
            return self.head(self.features(x))
        return self.head(self._features_channels_last(x))

    def _features_channels_last(self, x: Tensor) -> Tensor:
        """The features without gradients, in channels-last layout: on CPU its convolutions are
        about twice and its max pooling ten times as fast as the default layout's, for
        evaluation's many passes (the averaged test set, the robustness sets, validation after
        every epoch), equal to the default layout's within float rounding (about 1e-7).
        Training keeps the default layout and its gradients. ``to`` (not ``contiguous``)
        restrides a single channel, which ``contiguous`` would take as channels-last already."""
        x = x.to(memory_format=torch.channels_last)
        for module in self.features:
            if isinstance(module, nn.Conv2d):
                weight = module.weight.to(memory_format=torch.channels_last)
                x = module._conv_forward(x, weight, module.bias)
            else:
                x = module(x)
        return x


class DeepSets(nn.Module):
    """rho(mean_i phi(x_i)): (B, n, k) -> (B, out); permutation-invariant by construction."""

    def __init__(self, config: PointsConfig, in_shape: tuple[int, ...], out_features: int):
        super().__init__()
        hidden = [config.hidden] * config.layers
        self.phi = nn.Sequential(_mlp([in_shape[-1], *hidden]), nn.ReLU())
        self.rho = _mlp([config.hidden, *hidden, out_features])

    def forward(self, x: Tensor) -> Tensor:
        return self.rho(self.phi(x).mean(dim=1))


class FlatMLP(nn.Module):
    """MLP on the flattened input: (B, ...) -> (B, *out_shape)."""

    def __init__(
        self, hidden: int, layers: int, in_shape: tuple[int, ...], out_shape: tuple[int, ...]
    ):
        super().__init__()
        self.out_shape = out_shape
        sizes = [
            int(torch.tensor(in_shape).prod()),
            *[hidden] * layers,
            int(torch.tensor(out_shape).prod()),
        ]
        self.net = _mlp(sizes)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x.flatten(1)).reshape(len(x), *self.out_shape)


class SequenceNet(nn.Module):
    """Zero-padded 1D convolutions, flatten, MLP: (B, C, N) -> (B, out)."""

    def __init__(self, config: SequenceConfig, in_shape: tuple[int, ...], out_features: int):
        super().__init__()
        channels, length = in_shape
        blocks: list[nn.Module] = []
        for c in config.channels:
            blocks += [nn.Conv1d(channels, c, config.kernel, padding=config.kernel // 2), nn.ReLU()]
            channels = c
        self.features = nn.Sequential(*blocks, nn.Flatten())
        self.head = _mlp([channels * length, config.hidden, out_features])

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


class LatticeNet(nn.Module):
    """Periodic convolutions; a flatten head for per-lattice outputs, or per-site outputs in
    [-1, 1] (tanh) for generation: (B, L, L) or (B, C, L, L) -> (B, out) or (B, L, L)."""

    def __init__(self, config: LatticeConfig, in_shape: tuple[int, ...], out_features: int | None):
        super().__init__()
        channels = in_shape[0] if len(in_shape) == 3 else 1
        size = in_shape[-1]
        blocks: list[nn.Module] = []
        for c in config.channels:
            blocks += [
                nn.Conv2d(
                    channels, c, config.kernel, padding=config.kernel // 2, padding_mode="circular"
                ),
                nn.ReLU(),
            ]
            channels = c
        self.features = nn.Sequential(*blocks)
        self.per_site = out_features is None
        if self.per_site:
            self.head: nn.Module = nn.Conv2d(channels, 1, 1)
        else:
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(channels * size * size, out_features))

    def forward(self, x: Tensor) -> Tensor:
        x = x[:, None] if x.dim() == 3 else x
        out = self.head(self.features(x))
        return torch.tanh(out[:, 0]) if self.per_site else out
