"""A user's own network: ``model: {factory: "package.module:function", <options>}``.

The factory is called as ``function(data: DataSpec, options: dict) -> torch.nn.Module``, the
same ``module:function`` convention as dataset and group factories (and the same trust
boundary: ``pipeline._util.factories``). ``options`` are the ``model:`` section's other keys.
What the network must return is what the built-in backbones return: ``out_features`` numbers
per example, or an ``out_shape`` array per example where the targets are moved with the inputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from torch import Tensor, nn

from pipeline._util.factories import import_function
from pipeline.errors import SymsearchError

FACTORY_KEY = "factory"


class ModelFactoryError(SymsearchError):
    """A model factory that cannot be imported, fails, or builds an unusable network."""


@dataclass(frozen=True)
class DataSpec:
    """What a model factory is told about the data (one example, no batch dimension).

    Attributes:
        kind: the data kind of the inputs (``image``, ``points``, ``sequence``, ``lattice`` or a
            registered one): images are (channels, height, width), point sets (points, dim),
            sequences (channels, length), lattices (channels, side, side).
        task: ``classification``, ``regression`` or ``generation``.
        in_shape: one input's shape as the network receives it (with SymPE's encoding channel
            where the trial uses ``symmetry_breaking: sympe``).
        out_features: numbers the network returns per example (``num_classes`` logits for
            classification; the target's size for invariant regression); None where
            ``out_shape`` applies.
        out_shape: the array the network returns per example where targets move with the
            inputs (equivariant outputs, generated lattices); None otherwise.
        num_classes: the classes of a classification task; None otherwise.
        target_kind: the data kind of the targets where the group moves them too; else None.
    """

    kind: str
    task: str
    in_shape: tuple[int, ...]
    out_features: int | None
    out_shape: tuple[int, ...] | None
    num_classes: int | None = None
    target_kind: str | None = None

    def output_shape(self, batch: int) -> tuple[int, ...]:
        """The network's output shape on a batch of ``batch`` examples."""
        if self.out_shape is not None:
            return (batch, *self.out_shape)
        return (batch, self.out_features or 1)


def is_factory_model(options: Mapping[str, Any]) -> bool:
    return FACTORY_KEY in options


def build_factory_model(data: DataSpec, options: Mapping[str, Any]) -> nn.Module:
    """The user's network for ``data``; every failure is one ModelFactoryError line."""
    path = options[FACTORY_KEY]
    label = "model.factory"
    if not isinstance(path, str) or path.count(":") != 1:
        raise ModelFactoryError(f"{label} must look like 'package.module:function', got {path!r}")
    factory = import_function(path, label, ModelFactoryError)
    rest = {k: v for k, v in options.items() if k != FACTORY_KEY}
    try:
        network = factory(data, rest)
    except SymsearchError:
        raise
    except Exception as error:  # a user's code: one line, naming the factory
        raise ModelFactoryError(f"{label} {path!r} failed: {_one_line(error)}") from None
    if not isinstance(network, nn.Module):
        raise ModelFactoryError(
            f"{label} {path!r} returned {type(network).__name__}, expected a torch.nn.Module"
        )
    return network


def check_output(path: str, data: DataSpec, output: Any, batch: int) -> None:
    """The factory network's output on a sample batch has the shape the task needs."""
    expected = data.output_shape(batch)
    if not isinstance(output, Tensor):
        raise ModelFactoryError(
            f"model.factory {path!r}: the network returned {type(output).__name__}, "
            f"expected a tensor of shape {expected}"
        )
    fits = tuple(output.shape) == expected
    if data.task == "regression" and not fits:  # (batch,) or (batch, 1): the same numbers
        fits = output.shape[:1] == (batch,) and output[0].numel() == math.prod(expected[1:])
    if not fits:
        raise ModelFactoryError(
            f"model.factory {path!r}: output shape {tuple(output.shape)} on a batch of "
            f"{batch} inputs of shape {data.in_shape}, expected {expected}"
        )


def _one_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0][:300]}" if lines else type(error).__name__
