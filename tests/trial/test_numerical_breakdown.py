"""A trial whose numbers break down (singular warps, NaN or infinite widths) ends as failed with
a one-line reason, never a traceback."""

import math

import pytest
import torch

from pipeline.actions import act
from pipeline.errors import NumericalBreakdown, TrialStatus
from pipeline.groups import get_group
from pipeline.trial import _run as trial_module
from pipeline.trial import run_trial

DIGITS = {
    "dataset": {"name": "digits", "transform": "SO2", "limit": 120},
    "candidate_group": "affine2",
    "epochs": 2,
    "batch_size": 60,
    "eval_samples": 2,
    "val_samples": 1,
    "robustness": "none",
    "aug_warmup": 0,
}


def test_a_singular_warp_is_a_numerical_breakdown_not_a_linalg_error():
    group = get_group("affine2")
    coefficients = torch.zeros(2, group.lie_dim)
    coefficients[:, group.lie_names.index("scale")] = -1e4  # scales the image to nothing
    with pytest.raises(NumericalBreakdown, match="singular or non-finite"):
        act(group, group.exp(coefficients), torch.ones(2, 1, 8, 8), "image")


def _with_widths(monkeypatch, raw: float) -> None:
    """Every trial built from now on starts with its scale width at softplus(raw)."""
    built = trial_module.build

    def build(config, dataset=None):
        setup = built(config, dataset)
        with torch.no_grad():
            index = setup.candidate.lie_names.index("scale")
            setup.augmentation.raw_widths[index] = raw
        return setup

    monkeypatch.setattr(trial_module, "build", build)


@pytest.mark.parametrize("raw", [1e4, math.nan], ids=["runaway", "nan"])
def test_a_trial_whose_widths_break_down_fails_with_one_line(monkeypatch, raw):
    _with_widths(monkeypatch, raw)
    result = run_trial(DIGITS)
    assert result.trial["status"] == TrialStatus.FAILED
    error = result.trial["error"]
    assert error and "\n" not in error, error
    assert any(word in error for word in ("singular", "NaN", "nan", "infinite")), error
