"""The reader's training: inputs of the training split, each moved along one random probe per
batch, and the probe's head taught how far (``_test`` scores held-out inputs with it)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from pipeline.data import Dataset
from pipeline.discovery._mover import Conditioner, Mover
from pipeline.discovery._probes import Probe
from pipeline.discovery._readers import Reader
from pipeline.discovery._records import TestConfig
from pipeline.discovery._splits import splits_for_test


def subset(n: int, limit: int, rng: torch.Generator) -> Tensor:
    order = torch.randperm(n, generator=rng)
    return order[:limit] if limit < n else order


def training_sample(
    dataset: Dataset, config: TestConfig, device: torch.device
) -> tuple[Tensor, Tensor]:
    """The inputs a reader trains on: the training split less the held-out fold (_splits.py)."""
    own = splits_for_test(dataset, config.max_train, config.max_held_out)[0]
    index = subset(len(own), config.max_train, torch.Generator().manual_seed(config.seed))
    return own.inputs[index].float().to(device), own.targets[index].to(device)


def reader_epochs(config: TestConfig, probes: int) -> int:
    """A reader's training epochs: ``epochs``, or ``epochs_per_probe`` for each of its probes."""
    return max(config.epochs, config.epochs_per_probe * probes)


def train_reader(
    dataset: Dataset,
    mover: Mover,
    conditioner: Conditioner,
    config: TestConfig,
    rng: torch.Generator,
) -> Reader:
    """The reader, trained on the training split less the held-out fold (_splits.py)."""
    own = splits_for_test(dataset, config.max_train, config.max_held_out)[0]
    index = subset(len(own), config.max_train, rng)
    x = own.inputs[index].float().to(mover.device)
    y = own.targets[index].to(mover.device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)  # layer initializers draw from the global generator
        reader = Reader(
            dataset.kind, tuple(x.shape[1:]), conditioner.size, [p.outputs for p in mover.probes]
        ).to(mover.device)
    optimizer = torch.optim.Adam(reader.parameters(), lr=config.lr)
    reader.train()
    for _ in range(reader_epochs(config, len(mover.probes))):
        order = torch.randperm(len(x), generator=rng).to(mover.device)
        for start in range(0, len(x), config.batch_size):
            batch = order[start : start + config.batch_size]
            which = torch.randint(len(mover.probes), (len(batch),), generator=rng)
            loss = _batch_loss(reader, mover, conditioner, x[batch], y[batch], which, rng)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return reader.eval()


def _batch_loss(
    reader: Reader,
    mover: Mover,
    conditioner: Conditioner,
    x: Tensor,
    y: Tensor,
    which: Tensor,
    rng: torch.Generator,
) -> Tensor:
    """Each input moved along one random probe; that probe's head learns the amount."""
    moves = {}
    for p in which.unique().tolist():
        rows = (which == p).nonzero().squeeze(1).to(x.device)
        moves[p] = (rows, mover.draw(p, len(rows), rng))
    moved, moved_y = mover.move_batch(moves, x, y, rng)
    condition = torch.zeros(len(x), conditioner.size, device=x.device)
    for p, (rows, _) in moves.items():
        condition[rows] = conditioner(moved_y[p])
    outputs = reader(moved, condition)
    total = x.new_zeros(())
    for p, (rows, amounts) in moves.items():
        total = total + _head_loss(mover.probes[p], outputs[p][rows], amounts.to(x.device))
    return total / len(x)


def _head_loss(probe: Probe, output: Tensor, amounts: Tensor) -> Tensor:
    if probe.mode == "periodic":  # the nearest bin
        amounts = torch.round(amounts * probe.limit / (2 * math.pi)).remainder(probe.limit)
    return F.cross_entropy(output, amounts.long(), reduction="sum")
