"""A stored trial as a ready model: its network and learned augmentation, rebuilt from the
trial's configuration and loaded from its saved state in the store."""

from __future__ import annotations

import io
import math
from typing import Any

import torch
from torch import nn

from pipeline.errors import SymsearchError


class ModelStateError(SymsearchError):
    """A trial whose saved state is missing or cannot be read."""


class TrainedModel(nn.Module):
    """A trained trial: ``model(x)`` is the prediction the trial was judged by, the network
    averaged over the evaluation's fixed set of group elements (``averaged=False``: the plain
    network). ``network`` and ``augmentation`` are the trained modules, ``dataset`` the trial's
    data (same seed, same splits), ``config`` its configuration."""

    def __init__(self, setup: Any, epoch: int) -> None:
        from pipeline.trial import TEST_SEED_OFFSET, test_averaging

        super().__init__()
        self.network, self.augmentation = setup.model, setup.augmentation
        self.config, self.dataset, self.task = setup.config, setup.dataset, setup.task
        self.device, self.epoch = setup.device, epoch
        self._setup = setup
        self.averaging = test_averaging(setup, setup.config.seed + TEST_SEED_OFFSET)
        self.eval()

    def forward(self, x: torch.Tensor, averaged: bool = True) -> torch.Tensor:
        from pipeline.methods.symmetrize import predict

        with torch.no_grad():
            return predict(
                self.network,
                self.augmentation.group,
                self.task,
                x.to(self.device),
                self.averaging if averaged else None,
            )

    def augment(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """x moved by elements drawn from the learned augmentation distribution."""
        with torch.no_grad():
            return self.augmentation(x.to(self.device), generator)[0]

    def score(self, prediction: torch.Tensor, targets: torch.Tensor) -> float:
        """The dataset's metric (accuracy, mse, ...) of predictions against targets."""
        from pipeline.methods.symmetrize import score

        return score(self.task, prediction, targets.to(prediction.device))


class RawInputError(SymsearchError):
    """Raw inputs whose shape is not the dataset's raw example (or a batch of them)."""


class Predictor:
    """A trained trial as a function of raw inputs of its dataset's kind: ``predictor(raw)``
    applies the dataset's own preprocessing (``Dataset.preprocess``: raw 8x8 digits become the
    padded 24x24 images the network saw), then the prediction the trial was judged by (the
    network averaged over the trial's fixed group elements; ``averaged=False``: the plain
    network). ``raw`` is one example or a batch (a tensor, a NumPy array or nested lists); a
    batch of flattened examples (scikit-learn's ``load_digits().data``) is accepted too. The
    output has a batch dimension only where the input had one."""

    def __init__(self, model: TrainedModel) -> None:
        self.model = model
        self.steps = model.dataset.preprocess  # None: raw inputs are the network's inputs
        inputs = model.dataset.train.inputs
        self.raw_shape = tuple(self.steps.raw_shape if self.steps else inputs.shape[1:])
        self.dtype = inputs.dtype

    def __repr__(self) -> str:
        return f"Predictor({self.model.dataset.name}, raw {self.raw_shape}, {self.describe()})"

    def describe(self) -> str:
        """What a raw example is."""
        if self.steps is not None and self.steps.raw:
            return self.steps.raw
        return f"inputs as the dataset holds them, shape {self.raw_shape}"

    def preprocess(self, raw: Any) -> torch.Tensor:
        """A batch of raw examples as the network's inputs ``(N, *input shape)``."""
        batch, _ = self._batch(raw)
        return self._steps(batch)

    def __call__(self, raw: Any, averaged: bool = True) -> torch.Tensor:
        batch, single = self._batch(raw)
        output = self.model(self._steps(batch), averaged=averaged)
        return output[0] if single else output

    def labels(self, raw: Any, averaged: bool = True) -> torch.Tensor:
        """Classification: the predicted class of each raw example."""
        if self.model.task.task != "classification":
            raise RawInputError(f"labels: the trial's task is {self.model.task.task}, not labels")
        return self(raw, averaged).argmax(dim=-1)

    def _steps(self, batch: torch.Tensor) -> torch.Tensor:
        if self.steps is None:
            return batch
        with torch.no_grad():
            return self.steps.function(batch)

    def _batch(self, raw: Any) -> tuple[torch.Tensor, bool]:
        """(a batch of raw examples, whether ``raw`` was one example)."""
        try:
            x = torch.as_tensor(raw)
        except (TypeError, ValueError, RuntimeError) as error:
            raise RawInputError(f"raw inputs: not an array ({_first_line(error)})") from None
        x = x.to(self.dtype)
        size = math.prod(self.raw_shape)
        if tuple(x.shape) == self.raw_shape:
            return x[None], True
        if tuple(x.shape[1:]) == self.raw_shape and len(x) > 0:
            return x, False
        if x.dim() == 2 and x.shape[1] == size and len(x) > 0:  # flattened examples
            return x.reshape(len(x), *self.raw_shape), False
        raise RawInputError(
            f"raw inputs of shape {tuple(x.shape)}: expected {self.raw_shape} per example, or a "
            f"batch (N, {', '.join(map(str, self.raw_shape))}) ({self.describe()})"
        )


def load_model(
    location: Any, sweep: str, trial_id: str, config: Any, device: str = "cpu"
) -> TrainedModel:
    """Rebuild the trial's setup from ``config`` on ``device`` and load its saved state."""
    from pipeline.store import read_blob
    from pipeline.sweep import state_name
    from pipeline.trial import TrialState, build

    name = state_name(sweep, trial_id)
    payload = read_blob(location, name)
    if payload is None:
        raise ModelStateError(
            f"trial {trial_id} of sweep {sweep}: no saved state at {location.url}/{name}"
        )
    try:
        state = TrialState(
            **torch.load(io.BytesIO(payload), weights_only=True, map_location=device)
        )
    except Exception as error:  # truncated, not a pickle, a wrong structure: one line
        raise ModelStateError(
            f"{location.url}/{name}: damaged saved state, cannot be read ({_first_line(error)})"
        ) from None
    setup = build(config.model_copy(update={"device": device}))
    try:
        setup.model.load_state_dict(state.model)
        setup.augmentation.load_state_dict(state.augmentation)
    except Exception as error:  # keys or shapes that are not this trial's model
        raise ModelStateError(
            f"{location.url}/{name}: damaged saved state, does not fit the "
            f"trial's model ({_first_line(error)})"
        ) from None
    return TrainedModel(setup, state.epoch)


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__
