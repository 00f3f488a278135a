"""The averaged predictor h(x) = mean_j f(g_j x), metrics, and measured equivariance error.

For invariant tasks h averages outputs (class probabilities for classification); for equivariant
ones it maps each output back, h(x) = mean_j g_j^-1 f(g_j x), so that h is equivariant.

Which elements g_j: with no tolerance, k draws from the learned augmentation distribution
(Augerino). With an approximation tolerance eps (Tahmasebi & Weber 2025, averaging complexity),
k = min(|G|, ceil(c ln|G| / eps)) draws uniform over the candidate group G, with c = 8/3 (their
constant for weak approximate invariance); eps = 0 on a finite group averages exactly over all
|G| elements. A continuous group counts as |G_eff| = 360 distinguishable elements per algebra
generator (a one-degree grid over a full turn, or over the natural range of a translation or
scale) times the size of its discrete part; exact averaging being impossible there, eps = 0 draws
min(|G_eff|, 4096) elements.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from pipeline.actions import act
from pipeline.data.ising import energy_per_site
from pipeline.groups import Group

EVAL_BATCH = 512
WEAK_CONSTANT = 8 / 3
STEPS_PER_GENERATOR = 360
MAX_AVERAGING = 4096
Draw = Callable[[int, int], Tensor]  # (j, n) -> the j-th element for each of n inputs (n, d, d)


@dataclass(frozen=True)
class Averaging:
    """k elements per input, the j-th drawn by ``draw(j, n)``."""

    k: int
    draw: Draw


def effective_order(group: Group) -> int:
    """|G| for finite groups, |G_eff| for continuous ones (see the module docstring)."""
    discrete = group.order if group.is_finite else math.prod(group.generator_orders)
    return (discrete or 1) * STEPS_PER_GENERATOR**group.lie_dim


def averaging_samples(group: Group, tolerance: float) -> int:
    """k for an approximation tolerance: min(|G|, ceil(c ln|G| / eps)); eps = 0: all of |G|."""
    size = effective_order(group)
    if size <= 1:
        return 1
    if tolerance == 0:
        return size if group.is_finite else min(size, MAX_AVERAGING)
    return max(1, min(size, math.ceil(WEAK_CONSTANT * math.log(size) / tolerance), MAX_AVERAGING))


def group_averaging(group: Group, tolerance: float, seed: int) -> Averaging:
    """Averaging over the group itself: exact enumeration, or k uniform draws."""
    k = averaging_samples(group, tolerance)
    if group.is_finite and k == group.order:
        elements = group.elements()
        return Averaging(k, lambda j, n: elements[j].expand(n, group.dim, group.dim))
    rng = torch.Generator().manual_seed(seed)
    return Averaging(k, lambda j, n: group.sample(n, rng))


@dataclass(frozen=True)
class Task:
    """What a model's outputs mean: enough to average, score and compare them."""

    kind: str  # data kind of the inputs
    task: str  # classification | regression | generation
    metric: str  # accuracy | mse | energy_per_site
    target_kind: str | None  # data kind of equivariant outputs, None for invariant ones


def to_comparable(task: Task, output: Tensor) -> Tensor:
    """Outputs in the space where averaging and distances make sense (probabilities for
    classification, raw values otherwise)."""
    return output.softmax(dim=-1) if task.task == "classification" else output


def _predict_batch(
    model: nn.Module, group: Group, task: Task, x: Tensor, g: Tensor | None
) -> Tensor:
    if g is None:
        return to_comparable(task, model(x))
    out = to_comparable(task, model(act(group, g, x, task.kind)))
    if task.target_kind is not None:  # map equivariant outputs back to x's frame
        out = act(group, torch.linalg.inv(g), out, task.target_kind)
    return out


@torch.no_grad()
def predict(model: nn.Module, group: Group, task: Task, x: Tensor,
            averaging: Averaging | None) -> Tensor:  # fmt: skip
    """h(x) averaged as ``averaging`` says (plain f(x) when it is None)."""
    outputs = []
    for start in range(0, len(x), EVAL_BATCH):
        chunk = x[start : start + EVAL_BATCH]
        if averaging is None:
            outputs.append(_predict_batch(model, group, task, chunk, None))
            continue
        total = sum(
            _predict_batch(model, group, task, chunk, averaging.draw(j, len(chunk)).to(chunk))
            for j in range(averaging.k)
        )
        outputs.append(total / averaging.k)
    return torch.cat(outputs)


def score(task: Task, prediction: Tensor, targets: Tensor) -> float:
    """The task's metric on comparable predictions."""
    if task.metric == "accuracy":
        return float((prediction.argmax(dim=-1) == targets).float().mean())
    if task.metric == "mse":
        return float((prediction.reshape(targets.shape) - targets).pow(2).mean())
    if task.metric == "energy_per_site":  # antiferromagnet energy of the sign of the output
        return float(energy_per_site(torch.sign(prediction), coupling=-1.0).mean())
    raise ValueError(f"unknown metric {task.metric!r} (known: accuracy, mse, energy_per_site)")


def loss(task: Task, output: Tensor, targets: Tensor) -> Tensor:
    """Training loss on raw outputs."""
    if task.task == "classification":
        return nn.functional.cross_entropy(output, targets)
    if task.task == "generation":  # unsupervised: the antiferromagnet energy of relaxed spins
        return energy_per_site(output, coupling=-1.0).mean()
    return (output.reshape(targets.shape) - targets).pow(2).mean()


@torch.no_grad()
def equivariance_error(model: nn.Module, task: Task, true_group: Group, x: Tensor,
                       averaged: Callable[[Tensor], Tensor], generator: torch.Generator,
                       n_elements: int = 8) -> tuple[float | None, float | None]:  # fmt: skip
    """(weak ratio, plain relative error) of the averaged predictor h under the true group.

    ratio = E||h(gx) - g.h(x)||^2 / E||f(gx) - g.f(x)||^2 over g drawn from the true group
    (< 1: averaging made the model more symmetric). The second figure is the plain model's
    E||f(gx) - g.f(x)||^2 / E||f(x)||^2. Both None for a trivial true group or when f is
    already exactly symmetric.
    """
    if true_group.is_finite and true_group.order == 1:
        return None, None
    plain = lambda y: predict(model, true_group, task, y, None)  # noqa: E731
    f_x, h_x = plain(x), averaged(x)
    numerator = denominator = 0.0
    for g in true_group.sample(n_elements, generator).to(x.device, x.dtype):
        moved = act(true_group, g, x, task.kind)
        numerator += float((averaged(moved) - _move_output(true_group, task, g, h_x)).pow(2).sum())
        denominator += float((plain(moved) - _move_output(true_group, task, g, f_x)).pow(2).sum())
    scale = n_elements * float(f_x.pow(2).sum()) + 1e-30
    if denominator <= 1e-10 * scale:  # f is symmetric up to rounding: nothing to improve on
        return None, denominator / scale
    return numerator / denominator, denominator / scale


def _move_output(group: Group, task: Task, g: Tensor, output: Tensor) -> Tensor:
    return output if task.target_kind is None else act(group, g, output, task.target_kind)
