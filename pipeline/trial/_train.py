"""Training a built trial, epoch by epoch, with checkpoints (``TrialState``) to resume from."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import torch

from pipeline.errors import NumericalBreakdown
from pipeline.methods.symmetrize import loss
from pipeline.space import TrialConfig
from pipeline.trial._predict import evaluate_split, learned_averaging
from pipeline.trial._robustness import robustness_score
from pipeline.trial._setup import Setup, TrialState, generators

Report = Callable[[dict[str, Any]], Any]  # a batched trial leaves its batch when it returns STOP

Save = Callable[["TrialState"], None]


class Diverged(NumericalBreakdown):
    """The loss, or the augmentation's widths, became NaN or infinite."""


def train(
    setup: Setup,
    epochs: list[dict[str, Any]],
    report: Report,
    resume: TrialState | None = None,
    save: Save | None = None,
) -> None:
    config, data = setup.config, setup.dataset
    optimizer = make_optimizer(setup)
    rng = torch.Generator().manual_seed(config.seed)
    if resume is not None:
        restore(setup, optimizer, rng, resume)
    inputs, targets = data.train.inputs.to(setup.device), data.train.targets.to(setup.device)
    first = resume.epoch + 1 if resume else 1
    for epoch in range(first, config.epochs + 1):
        started = time.perf_counter()
        begin_epoch(setup, optimizer, epoch)
        train_loss = _train_epoch(setup, optimizer, inputs, targets, rng, epoch)
        end_epoch(setup, optimizer, rng, epochs, (epoch, train_loss, started), report, save)


def begin_epoch(setup: Setup, optimizer: torch.optim.Optimizer, epoch: int) -> None:
    """The augmentation's rates for this epoch (0 while it warms up), and the end of a learned
    basis's direction phase."""
    config = setup.config
    augmenting = epoch > config.aug_warmup
    optimizer.param_groups[1]["lr"] = config.aug_lr if augmenting else 0.0
    optimizer.param_groups[2]["lr"] = setup.basis_lr if augmenting else 0.0
    if epoch == config.aug_warmup + config.basis_warmup + 1:  # the direction phase ends
        setup.augmentation.release_widths()


def end_epoch(
    setup: Setup,
    optimizer: torch.optim.Optimizer,
    rng: torch.Generator,
    epochs: list[dict[str, Any]],
    done: tuple[int, float, float],
    report: Report,
    save: Save | None,
) -> Any:
    """Validation, the epoch's row, the checkpoint and the report of one trained epoch
    (``done``: epoch, mean training loss, its start); returns what ``report`` returns."""
    epoch, train_loss, started = done
    val = _validation_metric(setup, epoch)
    row = _epoch_row(setup, epoch, train_loss, val, time.perf_counter() - started)
    if _robustness_due(setup.config, epoch):
        row["robustness"] = robustness_score(setup, _val_averaging(setup, epoch))
    epochs.append(row)
    if save is not None:
        save(_state(setup, optimizer, rng, epoch, epochs))
    return report(row)


def state_damage(setup: Setup, state: Any) -> str | None:
    """Why a checkpoint cannot continue this trial (None: it can): it is applied to copies of
    the model, augmentation, optimizer and generators, so a failure touches nothing."""
    try:
        if (
            not isinstance(state, TrialState)
            or not 0 <= state.epoch <= setup.config.epochs
            or len(state.epochs) != state.epoch
        ):
            return "its epochs do not match"
        trial_copy = replace(
            setup, model=copy.deepcopy(setup.model), augmentation=copy.deepcopy(setup.augmentation)
        )
        rng = torch.Generator().manual_seed(0)
        restore(trial_copy, make_optimizer(trial_copy), rng, state)
    except Exception as error:  # any damage: a key, a shape, a type, a missing generator
        return f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
    return None


def _state(
    setup: Setup,
    optimizer: torch.optim.Optimizer,
    rng: torch.Generator,
    epoch: int,
    epochs: list[dict[str, Any]],
) -> TrialState:
    return TrialState(
        epoch=epoch,
        epochs=[dict(row) for row in epochs],
        model=owned(setup.model.state_dict()),
        augmentation=owned(setup.augmentation.state_dict()),
        optimizer=owned(optimizer.state_dict()),
        generators={k: g.get_state() for k, g in generators(setup, rng).items()},
    )


def owned(value: Any) -> Any:
    """A deep copy whose tensors hold only their own elements: a batched trial's parameters
    and Adam state are views of its batch's stacks, which ``deepcopy`` (and ``torch.save``)
    would copy whole."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return type(value)((key, owned(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return type(value)(owned(item) for item in value)
    return copy.deepcopy(value)


def restore(
    setup: Setup, optimizer: torch.optim.Optimizer, rng: torch.Generator, state: TrialState
) -> None:
    setup.model.load_state_dict(state.model)
    setup.augmentation.load_state_dict(state.augmentation)
    optimizer.load_state_dict(state.optimizer)
    for name, generator in generators(setup, rng).items():
        generator.set_state(state.generators[name])


def make_optimizer(setup: Setup) -> torch.optim.Optimizer:
    """Adam with separate learning rates for the network, the augmentation's distribution
    (widths, logits) and a learned basis; weight decay never touches the augmentation, whose
    widths the regularizer alone should shape."""
    config, aug = setup.config, setup.augmentation
    return torch.optim.Adam(
        [
            {
                "params": setup.model.parameters(),
                "lr": config.lr,
                "weight_decay": config.weight_decay,
            },
            {"params": aug.distribution_parameters(), "lr": config.aug_lr, "weight_decay": 0.0},
            {"params": aug.basis_parameters(), "lr": setup.basis_lr, "weight_decay": 0.0},
        ]
    )


def _train_epoch(
    setup: Setup,
    optimizer: torch.optim.Optimizer,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    rng: torch.Generator,
    epoch: int,
) -> float:
    setup.model.train()
    order = torch.randperm(len(inputs), generator=rng).to(setup.device)
    total, batches = 0.0, 0
    for start in range(0, len(inputs), setup.config.batch_size):
        index = order[start : start + setup.config.batch_size]
        moved, y = augment_batch(setup, inputs[index], targets[index], rng)
        task_loss, objective = objective_of(setup, setup.model(moved), y, (epoch, batches + 1))
        optimizer.zero_grad(set_to_none=True)
        objective.backward()
        step(setup, optimizer, (epoch, batches + 1))
        total, batches = total + task_loss.item(), batches + 1
    return total / batches


def augment_batch(
    setup: Setup, x: torch.Tensor, y: torch.Tensor, rng: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """A training batch moved by draws from the learned distribution (equivariant targets move
    with their inputs)."""
    moved, elements = setup.augmentation(x, rng)
    if setup.task.target_kind is not None:
        y = setup.dataset.act_targets(setup.candidate, elements, y)
    return moved, y


def objective_of(
    setup: Setup, output: torch.Tensor, y: torch.Tensor, where: tuple[int, int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """(task loss, objective) of one batch; Diverged where the objective is not finite
    (``where``: epoch and batch, for the message)."""
    task_loss, objective = objective_terms(setup, output, y)
    check_objective(objective, bool(torch.isfinite(objective)), where)
    return task_loss, objective


def objective_terms(
    setup: Setup, output: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(task loss, objective) of one batch, unchecked (a batch of trials checks all at once:
    one device sync, not one per trial)."""
    task_loss = loss(setup.task, output, y)
    orthogonality, sparsity = setup.augmentation.basis_penalties()
    objective = (
        task_loss
        + setup.config.reg * setup.augmentation.regularizer()
        + setup.config.basis_orthogonality * orthogonality
        + setup.config.basis_sparsity * sparsity
    )
    return task_loss, objective


def check_objective(objective: torch.Tensor, finite: bool, where: tuple[int, int]) -> None:
    if not finite:
        raise Diverged(f"loss became {objective.item()} at epoch {where[0]}, batch {where[1]}")


def step(setup: Setup, optimizer: torch.optim.Optimizer, where: tuple[int, int]) -> None:
    """The optimizer's step and the augmentation's constraints after it; Diverged where a
    width became NaN or infinite."""
    advance(setup, optimizer, where[0])
    check_widths(bool(torch.isfinite(setup.augmentation.all_widths()).all()), where)


def advance(setup: Setup, optimizer: torch.optim.Optimizer, epoch: int) -> None:
    """The optimizer's step and the augmentation's constraints after it, unchecked."""
    optimizer.step()
    holding = epoch <= setup.config.aug_warmup + setup.config.basis_warmup
    setup.augmentation.after_step(hold_widths=holding)


def check_widths(finite: bool, where: tuple[int, int]) -> None:
    if not finite:
        raise Diverged(
            f"augmentation widths became NaN or infinite at epoch {where[0]}, batch {where[1]}"
        )


def _validation_metric(setup: Setup, epoch: int) -> float:
    val = setup.dataset.val
    return evaluate_split(setup, val.inputs, val.targets, _val_averaging(setup, epoch))


def _val_averaging(setup: Setup, epoch: int) -> Any:
    return learned_averaging(setup, setup.config.val_samples, setup.config.seed + epoch)


def _robustness_due(config: TrialConfig, epoch: int) -> bool:
    """Every ``robustness_every`` epochs and at the last one (0: never)."""
    every = config.robustness_every
    return every > 0 and (epoch % every == 0 or epoch == config.epochs)


def _epoch_row(setup: Setup, epoch: int, train_loss: float, val: float, seconds: float) -> dict:
    aug = setup.augmentation
    readout = aug.readout(setup.config.active_threshold)
    return {
        "epoch": epoch,
        "train_loss": train_loss,
        "val_metric": val,
        "widths": [g.learned_width for g in readout.generators],
        "normalized_widths": [g.normalized_width for g in readout.generators],
        "seconds": seconds,
    }
