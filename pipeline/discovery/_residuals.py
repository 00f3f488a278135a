"""A reading for regression data: does the data's own relation of targets to inputs survive a
move? The residual of a predictor fitted to the training split.

The reader (``_readers``) sees an input with its targets, but learning whether a pair (x, y)
still obeys the data's law after a move is learning that law: for two gravitating bodies, whose
state distribution is round and broad, a reader placed stretches and shears by their effect on
the input distribution alone (TV 0.24 and 0.27 at the first step, factor 2^(1/4)) and the test
called both present, though a stretched orbit's next state is not the stretched next state.
A predictor f fitted to the training split (inputs to standardized targets, the test's
``Conditioner``) knows the law where the data are. Under a symmetry g, (g x, g y) is distributed
as (x, y), so the residual |f(g x) - g y|^2 of a moved pair is distributed as that of an unmoved
one: the residual is one more 1-D reading of the step classifier (``_test._readings``), scored
on held-out splits the predictor never saw. It only adds evidence that a move changes the data
(the classifier keeps whichever reading separates the arms on its own fit fold), so the test's
level stands. Labels (classification) are a condition the reader learns by itself, and
generation tasks have no targets to predict: the reading is for regression only.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from pipeline.data import Dataset
from pipeline.discovery._mover import Conditioner
from pipeline.discovery._readers import Reader

EPOCHS = 200
BATCH = 64
LR = 3e-3


class Residuals:
    """Per pair (x, y): the squared residual of the fitted predictor, in standardized units."""

    def __init__(self, predictor: Reader, conditioner: Conditioner):
        self.predictor, self.conditioner = predictor, conditioner

    @torch.no_grad()
    def __call__(self, x: Tensor, y: Tensor) -> Tensor:
        return _squared_residuals(self.predictor, self.conditioner, x, y)


def residuals_for(
    dataset: Dataset, conditioner: Conditioner, train: tuple[Tensor, Tensor], seed: int
) -> Residuals | None:
    """The residual reading of a regression dataset (None for other tasks), its predictor
    fitted to ``train``."""
    if dataset.task != "regression":
        return None
    return Residuals(_fitted(dataset.kind, conditioner, train, seed), conditioner)


def _fitted(kind: str, conditioner: Conditioner, train: tuple[Tensor, Tensor], seed: int) -> Reader:
    x, y = train
    target = conditioner(y)
    rng = torch.Generator().manual_seed(seed * 7919 + 1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # layer initializers draw from the global generator
        predictor = Reader(kind, tuple(x.shape[1:]), 0, [target.shape[1]]).to(x.device)
    optimizer = torch.optim.Adam(predictor.parameters(), lr=LR)
    predictor.train()
    for _ in range(EPOCHS):
        order = torch.randperm(len(x), generator=rng).to(x.device)
        for start in range(0, len(x), BATCH):
            batch = order[start : start + BATCH]
            loss = F.mse_loss(_predicted(predictor, x[batch]), target[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return predictor.eval()


def _predicted(predictor: Reader, x: Tensor) -> Tensor:
    return predictor(x, x.new_zeros(len(x), 0))[0]


def _squared_residuals(predictor: Reader, conditioner: Conditioner, x: Tensor, y: Tensor) -> Tensor:
    return (_predicted(predictor, x) - conditioner(y)).pow(2).sum(dim=1)
