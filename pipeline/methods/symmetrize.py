"""The averaged predictor h(x) = mean_j f(g_j x), metrics, and measured equivariance error.

For invariant tasks h averages outputs (class probabilities for classification); for equivariant
ones it maps each output back, h(x) = mean_j g_j^-1 f(g_j x), so that h is equivariant.

Which elements g_j: one fixed set of k elements per evaluation, drawn once from the seed and
used for every input, for h(x) and for h(gx) alike, so that h is a function (Tahmasebi & Weber
bound the error of such a fixed set). With no tolerance, k draws from the learned augmentation
distribution (Augerino). With an approximation tolerance eps (Tahmasebi & Weber 2025, averaging
complexity), k = min(|G|, ceil(c ln|G| / eps)) draws uniform over the candidate group G, with
c = 8/3 (their constant for weak approximate invariance); where that reaches |G| the set is the
whole group, enumerated (exact averaging, as eps = 0 asks). eps bounds the weak error: the mean
squared change of h under the group, relative to the plain model's (the equivariance ratio).

A continuous group counts as |G_eff| = 360 distinguishable elements per algebra generator (a
one-degree grid over a full turn, or over the natural range of a translation or scale) times the
order of its discrete part; exact averaging being impossible there, eps = 0 draws
min(|G_eff|, 4096) elements. No set exceeds 4096 elements: where the bound asks for more, or for
exact averaging over a larger group, k stops at 4096 and ``tolerance_met`` is false.
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


@dataclass(frozen=True)
class Averaging:
    """A fixed averaging set: h(x) averages f over these k elements (k, d, d), for every input.

    ``tolerance_met``: whether k reached what the tolerance asks (exact averaging for eps = 0);
    None when no tolerance was set (learned averaging).
    """

    elements: Tensor
    tolerance_met: bool | None = None

    @property
    def k(self) -> int:
        return len(self.elements)


@dataclass(frozen=True)
class Plan:
    """How many elements to average over, whether they are the whole (finite) group, and
    whether that meets the tolerance."""

    k: int
    exact: bool
    tolerance_met: bool


def effective_order(group: Group) -> int:
    """|G| for finite groups, |G_eff| for continuous ones (see the module docstring)."""
    return group.discrete_order() * STEPS_PER_GENERATOR**group.lie_dim


def averaging_plan(group: Group, tolerance: float) -> Plan:
    """k for an approximation tolerance: min(|G|, ceil(c ln|G| / eps)), capped at 4096."""
    size = effective_order(group)
    if size <= 1:
        return Plan(1, exact=True, tolerance_met=True)
    if tolerance == 0:
        needed = size if group.is_finite else None  # a continuous group: never exact
    else:
        needed = math.ceil(WEAK_CONSTANT * math.log(size) / tolerance)
    if group.is_finite and needed >= size and size <= MAX_AVERAGING:
        return Plan(size, exact=True, tolerance_met=True)
    k = min(size, MAX_AVERAGING) if needed is None else min(needed, size, MAX_AVERAGING)
    return Plan(k, exact=False, tolerance_met=needed is not None and k >= needed)


def averaging_samples(group: Group, tolerance: float) -> int:
    """k for an approximation tolerance (see ``averaging_plan``)."""
    return averaging_plan(group, tolerance).k


def group_averaging(group: Group, tolerance: float, seed: int) -> Averaging:
    """Averaging over the group itself: the whole group, or k uniform draws made once."""
    plan = averaging_plan(group, tolerance)
    if plan.exact:
        elements = group.elements()
    else:
        elements = group.sample(plan.k, torch.Generator().manual_seed(seed))
    return Averaging(elements, plan.tolerance_met)


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
def predict(
    model: nn.Module, group: Group, task: Task, x: Tensor, averaging: Averaging | None
) -> Tensor:
    """h(x) averaged as ``averaging`` says (plain f(x) when it is None)."""
    outputs = []
    elements = None if averaging is None else averaging.elements.to(x)
    for start in range(0, len(x), EVAL_BATCH):
        chunk = x[start : start + EVAL_BATCH]
        if elements is None:
            outputs.append(_predict_batch(model, group, task, chunk, None))
        else:
            outputs.append(_average_chunk(model, group, task, chunk, elements))
    return torch.cat(outputs)


def _average_chunk(
    model: nn.Module, group: Group, task: Task, chunk: Tensor, elements: Tensor
) -> Tensor:
    """mean over the elements of the (mapped back) outputs on ``chunk``; several elements share
    one forward pass of at most EVAL_BATCH inputs."""
    n, per_pass = len(chunk), max(1, EVAL_BATCH // len(chunk))
    total = None
    for block in elements.split(per_pass):
        inputs = chunk.repeat(len(block), *([1] * (chunk.dim() - 1)))  # element-major
        out = _predict_batch(model, group, task, inputs, block.repeat_interleave(n, dim=0))
        summed = out.reshape(len(block), n, *out.shape[1:]).sum(dim=0)
        total = summed if total is None else total + summed
    return total / len(elements)


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
def equivariance_error(
    model: nn.Module,
    task: Task,
    true_group: Group,
    x: Tensor,
    averaged: Callable[[Tensor], Tensor],
    generator: torch.Generator,
    n_elements: int = 8,
) -> tuple[float | None, float | None]:
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
