"""Every shipped search space runs as it is (one short epoch of its default trial, the data
test included)."""

from pathlib import Path

import pytest

from pipeline.space import load_space, trial_config
from pipeline.trial import run_trial

SPACES = sorted((Path(__file__).resolve().parents[1] / "search_spaces").glob("*.yaml"))
SHORT = {"epochs": 1, "robustness": "none", "eval_samples": 1, "val_samples": 1}
# the digits spaces on their first 500 digits: the data test's cost grows with the data, and
# the test is about the space's settings running together, not about its figures
SMALLER = {"digits": {"dataset.limit": 500}}


@pytest.mark.parametrize("path", SPACES, ids=lambda p: p.stem)
@pytest.mark.slow
def test_default_trial_of_every_space_runs(path):
    space = load_space(path)
    smaller = SMALLER.get(space.dataset.get("name"), {})
    result = run_trial(trial_config(space, {**SHORT, **smaller}))
    assert result.trial["status"] == "completed", result.trial["error"]
    assert result.trial["metric_name"] and result.trial["test_metric"] is not None
    modes = space.mode if isinstance(space.mode, list) else [space.mode]
    if space.mode is not None:  # the space's direction agrees with its dataset's metric
        assert modes[0] == result.trial["metric_mode"]
