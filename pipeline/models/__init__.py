"""Backbones per data kind, built from a dataset's shapes and an options mapping.

Each kind's record (``pipeline.kinds``) names its options dataclass and its builder (for the
built-in kinds, the ``*Config`` classes and ``*_backbone`` functions here); a builder takes
``(options, in_shape, out_features, out_shape)``. ``model: {factory: "module:function"}``
builds the user's own network instead (``DataSpec`` says what it is told about the data).

>>> from pipeline.models import build_model
>>> net = build_model("image", "classification", (1, 24, 24), 10, None, {})
>>> type(net).__name__
'ImageNet'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from torch import nn

from pipeline._util.text import did_you_mean
from pipeline.errors import SymsearchError
from pipeline.kinds import kind_record
from pipeline.models._backbones import (
    DeepSets,
    FlatMLP,
    ImageConfig,
    ImageNet,
    LatticeConfig,
    LatticeNet,
    PointsConfig,
    SequenceConfig,
    SequenceNet,
)
from pipeline.models._factory import (
    DataSpec,
    ModelFactoryError,
    build_factory_model,
    check_output,
    is_factory_model,
)

Shape = tuple[int, ...]


class ModelConfigError(SymsearchError):
    """Model options that do not fit the backbone; names the option."""


def model_config(kind: str, options: Mapping[str, Any]) -> Any:
    config_type = kind_record(kind).options_type()
    fields = {f.name: f for f in dataclasses.fields(config_type)}
    for key in options:
        if key not in fields:
            raise ModelConfigError(
                f"model.{key}: unknown option for {kind} models{did_you_mean(key, list(fields))} "
                f"(known: {', '.join(fields)})"
            )
    try:
        return config_type(**options)
    except ValidationError as error:  # the first problem, named like the space's fields
        first = error.errors()[0]
        where = ".".join(["model", *(str(p) for p in first["loc"])])
        raise ModelConfigError(f"{where}: {first['msg']}") from None


def build_model(
    kind: str,
    task: str,
    in_shape: tuple[int, ...],
    out_features: int | None,
    out_shape: tuple[int, ...] | None,
    options: Mapping[str, Any],
    *,
    num_classes: int | None = None,
    target_kind: str | None = None,
) -> nn.Module:
    """The backbone for ``kind``: ``out_features`` outputs per example, or per-element outputs of
    ``out_shape`` (equivariant targets, generated lattices) when ``out_features`` is None; the
    user's factory's network where ``options`` name one."""
    if is_factory_model(options):
        spec = DataSpec(kind, task, in_shape, out_features, out_shape, num_classes, target_kind)
        return build_factory_model(spec, options)
    config = model_config(kind, options)
    return kind_record(kind).backbone_builder()(config, in_shape, out_features, out_shape)


def image_backbone(
    config: ImageConfig, in_shape: Shape, out_features: int | None, out_shape: Shape | None
) -> nn.Module:
    return ImageNet(config, in_shape, _needs(out_features, "image"))


def sequence_backbone(
    config: SequenceConfig, in_shape: Shape, out_features: int | None, out_shape: Shape | None
) -> nn.Module:
    return SequenceNet(config, in_shape, _needs(out_features, "sequence"))


def lattice_backbone(
    config: LatticeConfig, in_shape: Shape, out_features: int | None, out_shape: Shape | None
) -> nn.Module:
    return LatticeNet(config, in_shape, out_features)


def points_backbone(
    config: PointsConfig, in_shape: Shape, out_features: int | None, out_shape: Shape | None
) -> nn.Module:
    """DeepSets for per-cloud outputs (clouds are sets), an MLP for per-point ones (``auto``)."""
    arch = config.arch if config.arch != "auto" else ("deepsets" if out_features else "mlp")
    if arch == "deepsets":
        return DeepSets(config, in_shape, _needs(out_features, "points"))
    if arch == "mlp":
        return FlatMLP(config.hidden, config.layers, in_shape, out_shape or (out_features,))
    raise ModelConfigError(f"model.arch: expected auto, deepsets or mlp, got {arch!r}")


def _needs(out_features: int | None, kind: str) -> int:
    if out_features is None:
        raise ModelConfigError(f"{kind} models produce one output vector per example")
    return out_features


__all__ = [
    "DataSpec",
    "ImageConfig",
    "LatticeConfig",
    "ModelConfigError",
    "ModelFactoryError",
    "PointsConfig",
    "SequenceConfig",
    "build_factory_model",
    "build_model",
    "check_output",
    "image_backbone",
    "is_factory_model",
    "lattice_backbone",
    "model_config",
    "points_backbone",
    "sequence_backbone",
]
