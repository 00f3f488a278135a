"""A stored trial as a ready model: its network and learned augmentation, rebuilt from the
trial's configuration and loaded from its saved state in the store."""

from __future__ import annotations

import io
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
