"""How a trial predicts: fixed sets of elements to average over, and a split's metric."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from pipeline.methods.symmetrize import Averaging, group_averaging, predict, score

if TYPE_CHECKING:
    from pipeline.trial._setup import Setup


def learned_averaging(setup: Setup, k: int, seed: int) -> Averaging | None:
    """One fixed set of k draws from the learned distribution, made with their own generator."""
    if setup.candidate.lie_dim == 0 and setup.candidate.num_discrete == 0:
        return None  # trivial candidate: h = f
    with torch.no_grad():
        elements = setup.augmentation.sample_elements(k, torch.Generator().manual_seed(seed))
    return Averaging(elements.detach())


TEST_SEED_OFFSET = 10_007  # the test predictor's elements: seed + this (a loaded model uses it too)


def test_averaging(setup: Setup, seed: int) -> Averaging | None:
    """The predictor the trial is judged by: the learned distribution (eval_samples draws), or,
    with a tolerance, the candidate group itself with k from the averaging complexity. One fixed
    set per evaluation: the test metric, the equivariance error and robustness all use it."""
    if setup.config.tolerance is None:
        return learned_averaging(setup, setup.config.eval_samples, seed)
    return group_averaging(setup.candidate, setup.config.tolerance, seed)


def evaluate_split(
    setup: Setup, inputs: torch.Tensor, targets: torch.Tensor, averaging: Averaging | None
) -> float:
    setup.model.eval()
    x, y = inputs.to(setup.device), targets.to(setup.device)
    return score(setup.task, predict(setup.model, setup.candidate, setup.task, x, averaging), y)
