"""Several trials trained as one batched model (``batch_trials``): trials that share the data,
the network and the batch size keep their networks' parameters as persistent stacks (one leaf
per parameter with a leading member dimension, ``_stacked``) and take one Adam step for all
members at once, each with its own learning rate, weight decay and step count.

The forward and backward passes run on the stacks as one vectorized function
(``torch.func.functional_call`` under ``vmap``) on CUDA or under ``torch.compile``; on a CPU
each member's network runs its own pass, one after another (``BatchOptions.forward``): there
the vectorized kernels' K-times larger activations leave the caches and lose to K small
passes. Either way the gradients land in the stacks, whose rows each member's own parameters,
gradients and Adam state are views of.

Everything else stays each trial's own, exactly as when it trains alone: its augmentation
(widths, group, prior) and its optimizer step, its seeded generator (the same draws in the
same order: batch order, augmentation, SymPE), its validation, checkpoints (the same
``TrialState`` as alone), rows and report. A trial whose ``report`` returns ``STOP`` (a
scheduler's stop), that diverges or that reaches its last epoch leaves the batch (the stacks
are rebuilt from the others); the others go on. With the same seeds a batched trial matches
the same configuration trained alone up to float rounding.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import torch

from pipeline.data import build_dataset
from pipeline.discovery import DataTest
from pipeline.errors import TrialStatus
from pipeline.space import SpaceError, TrialConfig, make_config
from pipeline.trial._evaluate import evaluate
from pipeline.trial._rows import RunContext, TrialResult, setup_row
from pipeline.trial._run import BREAKDOWNS, breakdown_line
from pipeline.trial._setup import Setup, TrialState, build
from pipeline.trial._stacked import BatchedForward, EachForward, StackedNetworks, unstacked_only
from pipeline.trial._train import (
    Report,
    Save,
    advance,
    augment_batch,
    begin_epoch,
    check_objective,
    check_widths,
    end_epoch,
    make_optimizer,
    objective_terms,
    restore,
    state_damage,
)

STOP = "stop"  # a member's report returns this to leave the batch (stopped by the scheduler)
Ended = Callable[[int, TrialResult], None]
Forward = BatchedForward | EachForward
Losses = dict[int, tuple[torch.Tensor, torch.Tensor]]  # pack row: (task loss, objective)
SHARED = ("dataset", "data_seed", "model", "symmetry_breaking", "batch_size", "device")


@dataclass(frozen=True)
class BatchOptions:
    """How the batched network runs; none changes what a trial computes beyond rounding."""

    compile: bool = False  # torch.compile the vectorized forward (the first batch compiles)
    amp: bool = False  # bf16 autocast of the networks' forward; CUDA only (ignored on CPU)
    # vmap: one vectorized pass over the stacks; each: each member's own pass; auto: vmap on
    # CUDA or with compile, else each (faster on a CPU, see the module docstring)
    forward: Literal["auto", "vmap", "each"] = "auto"

    def vectorized(self, device: torch.device) -> bool:
        return self.forward == "vmap" or (
            self.forward == "auto" and (device.type == "cuda" or self.compile)
        )


def batch_key(config: TrialConfig) -> str:
    """Trials with equal keys can train as one batched model: the same data (and so the same
    number of batches), the same network, the same device."""
    shared = {name: getattr(config, name) for name in SHARED}
    return json.dumps(shared, sort_keys=True, default=str)


@dataclass
class Member:
    """One trial of a batch and where it stands."""

    setup: Setup
    report: Report
    save: Save | None
    optimizer: torch.optim.Optimizer = field(init=False)
    rng: torch.Generator = field(init=False)
    epochs: list[dict[str, Any]] = field(default_factory=list)
    train_seconds: float = 0.0
    failure: BaseException | None = None
    stopped: bool = False
    order: torch.Tensor | None = None

    def __post_init__(self) -> None:
        self.optimizer = make_optimizer(self.setup)
        self.rng = torch.Generator().manual_seed(self.setup.config.seed)

    @property
    def training(self) -> bool:
        done = len(self.epochs) >= self.setup.config.epochs
        return self.failure is None and not self.stopped and not done


def run_trials(
    configs: Sequence[TrialConfig | dict[str, Any]],
    reports: Sequence[Report | None] | None = None,
    *,
    resumes: Sequence[TrialState | None] | None = None,
    saves: Sequence[Save | None] | None = None,
    data_tests: Sequence[DataTest | None] | None = None,
    contexts: Sequence[RunContext | None] | None = None,
    options: BatchOptions | None = None,
    ended: Ended | None = None,
) -> list[TrialResult]:
    """``run_trial`` for several configurations sharing ``batch_key``, trained as one batched
    model; one result per configuration, in order. The per-trial arguments are lists (None:
    none for any); a report returning ``STOP`` ends that trial as ``stopped``. ``ended(i,
    result)`` is called as soon as trial i's result is known (the others may train on)."""
    began = time.perf_counter()
    configs = [c if isinstance(c, TrialConfig) else make_config(c) for c in configs]
    _check_shared(configs)
    count = len(configs)
    dataset = build_dataset(configs[0].dataset, configs[0].data_seed)
    members = []
    for i, config in enumerate(configs):
        setup = build(config, dataset)
        setup.data_test = _nth(data_tests, i)
        resume = _nth(resumes, i)
        damage = state_damage(setup, resume) if resume is not None else None
        context = _nth(contexts, i) or RunContext()
        setup.context = replace(context, restarted=damage) if damage else context
        report = _nth(reports, i) or (lambda metrics: None)
        member = Member(setup, report, _nth(saves, i))
        if resume is not None and not damage:
            restore(setup, member.optimizer, member.rng, resume)
            member.epochs = [dict(row) for row in resume.epochs]
        members.append(member)
    built = time.perf_counter()
    results: list[TrialResult | None] = [None] * count

    def finish(member: Member) -> None:
        i = members.index(member)
        results[i] = result = _result(member)
        result.trial.update(
            build_seconds=(built - began) / count, total_seconds=time.perf_counter() - began
        )
        if ended is not None:
            ended(i, result)

    train_batched(members, options or BatchOptions(), finish)
    done = [r for r in results if r is not None]
    if len(done) != count:  # every member leaves through finish(): a bug otherwise
        raise RuntimeError(f"{count - len(done)} batched trial(s) ended without a result")
    return done


def train_batched(
    members: list[Member], options: BatchOptions, finish: Callable[[Member], None]
) -> None:
    """Every member's remaining epochs, one batched epoch at a time; ``finish(member)`` as each
    one leaves (last epoch, stopped, failed), in order."""
    first = members[0].setup
    inputs = first.dataset.train.inputs.to(first.device)
    targets = first.dataset.train.targets.to(first.device)
    if options.vectorized(first.device):
        forward: Forward = BatchedForward(first.model, options.compile, options.amp)
    else:
        forward = EachForward(first.model, options.amp)
    stacks = StackedNetworks()
    for member in members:
        if not member.training:  # resumed from its last epoch: nothing left to train
            finish(member)
    while active := [m for m in members if m.training]:
        started = time.perf_counter()
        for member in active:
            _guarded(member, _begin, member, len(inputs))
        losses = _train_epoch(active, stacks, forward, inputs, targets)
        for member in active:
            if member.failure is None:
                _finish_epoch(member, losses[id(member)], started)
            if not member.training:
                stacks.release(member)
                finish(member)


def _begin(member: Member, size: int) -> None:
    setup = member.setup
    begin_epoch(setup, member.optimizer, len(member.epochs) + 1)
    setup.model.train()
    member.order = torch.randperm(size, generator=member.rng).to(setup.device)


def _train_epoch(
    active: list[Member],
    stacks: StackedNetworks,
    forward: Forward,
    inputs: torch.Tensor,
    targets: torch.Tensor,
) -> dict[int, float]:
    """One epoch of every active member; each member's mean training loss, by ``id``."""
    size, batch = len(inputs), active[0].setup.config.batch_size
    totals = {id(m): 0.0 for m in active}
    for number, start in enumerate(range(0, size, batch), start=1):
        live = [m for m in active if m.failure is None]
        if not stacks.packs(live):  # first batch, or a member left: stack those that remain
            stacks.keep(live)
        stacks.zero_grad()
        moved = {}
        for m in live:
            index = m.order[start : start + batch]
            pair = _guarded(m, augment_batch, m.setup, inputs[index], targets[index], m.rng)
            if pair is not None:
                moved[id(m)] = pair
        rows = [i for i, m in enumerate(live) if id(m) in moved]
        if not rows:
            break
        xs = [moved[id(live[i])][0] for i in rows]
        ys = [moved[id(live[i])][1] for i in rows]
        if isinstance(forward, BatchedForward):
            found = _vectorized_backward(stacks, forward, rows, xs, ys, number)
        else:
            found = _each_backward(stacks, forward, rows, xs, ys, number)
        _step(stacks, found, number, totals)
    batches = -(-size // batch)
    return {key: total / batches for key, total in totals.items()}


def _vectorized_backward(
    stacks: StackedNetworks,
    forward: BatchedForward,
    rows: list[int],
    inputs: list[torch.Tensor],
    targets: list[torch.Tensor],
    number: int,
) -> Losses:
    """One vectorized forward pass and one summed backward pass (each member's parameters see
    only their own loss); losses are checked for all members at once (one device sync, not one
    per member). A member whose loss breaks down leaves the batch."""
    found = {}
    outputs = forward(stacks, rows, inputs)
    for i, output, y in zip(rows, outputs, targets, strict=True):
        member = stacks.members[i]
        terms = _guarded(member, objective_terms, member.setup, output, y)
        if terms is not None:
            found[i] = terms
    finite = _all_finite([objective for _, objective in found.values()])
    for (i, (_, objective)), ok in zip(list(found.items()), finite, strict=True):
        _check(stacks, i, found, objective, ok, number)
    if found:
        for i in found:
            _zero_unstacked(stacks, i)
        torch.stack([objective for _, objective in found.values()]).sum().backward()
    return found


def _each_backward(
    stacks: StackedNetworks,
    forward: EachForward,
    rows: list[int],
    inputs: list[torch.Tensor],
    targets: list[torch.Tensor],
    number: int,
) -> Losses:
    """Each member's forward and backward pass in turn, as alone (its activations are still in
    the caches when its backward pass reads them); its gradients land in the stacks."""
    found = {}
    for i, x, y in zip(rows, inputs, targets, strict=True):
        member = stacks.members[i]
        terms = _guarded(
            member, objective_terms, member.setup, forward.one(member.setup.model, x), y
        )
        if terms is None:
            continue
        found[i] = terms
        _check(stacks, i, found, terms[1], bool(torch.isfinite(terms[1])), number)
        if i in found:
            _zero_unstacked(stacks, i)
            terms[1].backward()
    return found


def _check(
    stacks: StackedNetworks, i: int, found: Losses, objective: torch.Tensor, ok: bool, number: int
) -> None:
    """Member i's loss is finite, else it fails (and leaves ``found``)."""
    member = stacks.members[i]
    _guarded(member, check_objective, objective, ok, (len(member.epochs) + 1, number))
    if member.failure is not None:
        del found[i]


def _zero_unstacked(stacks: StackedNetworks, i: int) -> None:
    """Member i's gradients outside the stacks (its augmentation's) to None, as alone."""
    optimizer = stacks.members[i].optimizer
    with unstacked_only(optimizer, stacks.parameter_ids()):
        optimizer.zero_grad(set_to_none=True)


def _step(stacks: StackedNetworks, found: Losses, number: int, totals: dict[int, float]) -> None:
    """One Adam step of the stacked networks, then each member's own step of the rest (its
    augmentation); widths are checked for all members at once. A member whose widths break
    down leaves the batch."""
    if not found:
        return
    stacks.adam_step(None if len(found) == len(stacks.members) else list(found))
    task_losses = torch.stack([task_loss.detach() for task_loss, _ in found.values()]).tolist()
    stepped, stacked_ids = [], stacks.parameter_ids()
    for i, task_loss in zip(found, task_losses, strict=True):
        member = stacks.members[i]
        with unstacked_only(member.optimizer, stacked_ids):
            _guarded(member, advance, member.setup, member.optimizer, len(member.epochs) + 1)
        if member.failure is not None:
            continue
        totals[id(member)] += task_loss
        stepped.append(member)
    widths = [m.setup.augmentation.all_widths() for m in stepped]
    for member, ok in zip(stepped, _all_finite(widths), strict=True):
        _guarded(member, check_widths, ok, (len(member.epochs) + 1, number))


def _all_finite(tensors: list[torch.Tensor]) -> list[bool]:
    """Whether each tensor is finite throughout, read in one transfer."""
    if not tensors:
        return []
    return torch.stack([torch.isfinite(t).all() for t in tensors]).tolist()


def _finish_epoch(member: Member, train_loss: float, started: float) -> None:
    """Validation, row, checkpoint and report; ``STOP`` from the report ends the member."""
    done = (len(member.epochs) + 1, train_loss, started)
    verdict = _guarded(
        member,
        end_epoch,
        member.setup,
        member.optimizer,
        member.rng,
        member.epochs,
        done,
        member.report,
        member.save,
    )
    if member.failure is None:
        member.train_seconds += member.epochs[-1]["seconds"]
        member.stopped = verdict == STOP


def _guarded(member: Member, function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)``; a numerical breakdown fails this member alone (None returned)."""
    try:
        return function(*args)
    except BREAKDOWNS as reason:
        member.failure = reason
        return None


def _result(member: Member) -> TrialResult:
    setup, epochs = member.setup, member.epochs
    if member.failure is not None:
        line = breakdown_line(member.failure, epochs)
        row = setup_row(setup, TrialStatus.FAILED, line, epochs, member.train_seconds)
        return TrialResult(row, epochs)
    if member.stopped and len(epochs) < setup.config.epochs:
        row = setup_row(setup, TrialStatus.STOPPED, None, epochs, member.train_seconds)
        return TrialResult(row, epochs)
    try:
        return evaluate(setup, epochs, member.train_seconds)
    except BREAKDOWNS as reason:
        line = breakdown_line(reason, epochs)
        row = setup_row(setup, TrialStatus.FAILED, line, epochs, member.train_seconds)
        return TrialResult(row, epochs)


def _check_shared(configs: list[TrialConfig]) -> None:
    if not configs:
        raise SpaceError("batch_trials: no trials to train")
    keys = {batch_key(c) for c in configs}
    if len(keys) > 1:
        raise SpaceError("batch_trials: trials trained together must share " + ", ".join(SHARED))


def _nth(values: Sequence[Any] | None, i: int) -> Any:
    return None if values is None else values[i]
