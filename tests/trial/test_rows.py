"""The one builder of a ``trials`` row: what its caller knows enters as explicit parameters."""

import platform

from pipeline._util.provenance import provenance
from pipeline.space import make_config
from pipeline.trial import RunContext, trial_row

DATASET = {"dataset": "signals", "true_group": "shift16", "metric_name": "accuracy"}


def _row(error=None, **options):
    config = make_config({})
    return trial_row(config, DATASET, "completed", error, 3, 0.75, 1.5, "cpu", **options)


def test_a_trial_run_here_names_this_machine_and_this_commit():
    row = _row()
    assert row["node"] == platform.node() and row["error"] is None and row["robustness"] is None
    assert row["git_commit"] == provenance("cpu")["git_commit"]
    assert (row["epochs"], row["val_metric"], row["train_seconds"]) == (3, 0.75, 1.5)
    assert row["dataset"] == "signals" and row["config_json"] == make_config({}).to_json()


def test_the_context_sets_node_commit_and_the_restart_note():
    context = RunContext(node="host/abc", git_commit="f00d", restarted="wrong shape")
    row = _row(context=context, robustness=0.5)
    assert (row["node"], row["git_commit"], row["robustness"]) == ("host/abc", "f00d", 0.5)
    assert row["error"] == "saved state unusable (wrong shape); restarted from epoch 1"


def test_a_trial_that_failed_keeps_its_own_error_over_the_restart_note():
    row = _row("NumericalBreakdown: loss became nan", context=RunContext(restarted="bad file"))
    assert row["error"] == "NumericalBreakdown: loss became nan"
