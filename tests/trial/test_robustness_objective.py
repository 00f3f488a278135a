"""The per-epoch robustness objective and multi-objective space settings."""

import pytest

from pipeline.space import SearchSpace, SpaceError, load_space
from pipeline.trial import run_trial

TINY = {
    "dataset": {"name": "signals", "length": 16, "transform": "shift", "n_samples": 120},
    "candidate_group": "shift16",
    "epochs": 3,
    "batch_size": 32,
    "eval_samples": 2,
    "robustness": "none",
}


def test_robustness_is_scored_every_few_epochs_and_at_the_last():
    reported = []
    result = run_trial({**TINY, "robustness_every": 2}, reported.append)
    scored = [row["epoch"] for row in reported if row.get("robustness") is not None]
    assert scored == [2, 3]
    assert 0 <= result.trial["robustness"] <= 1
    assert result.trial["robustness"] == reported[-1]["robustness"]
    plain = run_trial(TINY)  # off by default: nothing is scored, nothing else changes
    assert plain.trial["robustness"] is None
    assert plain.trial["val_metric"] == result.trial["val_metric"]


def test_a_list_of_metrics_with_a_mode_each():
    space = SearchSpace(
        dataset={"name": "digits"}, metric=["val_metric", "robustness"], mode=["max", "max"]
    )
    assert space.objectives() == ["val_metric", "robustness"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("metric: [val_metric, robustness]\nmode: [max]", "mode: 1 modes for 2 metrics"),
        ("metric: [val_metric, val_metric]", "metric: expected distinct objectives"),
        ("metric: val_metric\nmode: [max, max]", "mode: 2 modes for 1 metrics"),
        ("metric: val_metric\nmode: [max]", "a list of modes needs a list of metrics"),
        ("metric: [accuracy]", "metric"),
    ],
)
def test_bad_objectives_name_the_field(tmp_path, extra, message):
    path = tmp_path / "space.yaml"
    path.write_text(f"dataset: {{name: digits}}\n{extra}\n")
    with pytest.raises(SpaceError, match=message):
        load_space(path)
