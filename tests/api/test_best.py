"""The best trial: chosen by a metric in the right direction, exported as a space that reruns it,
and loaded as a model that predicts what the trial stored."""

import json

import pytest
import yaml
from typer.testing import CliRunner

from pipeline.api import BestTrialError, Sweep
from pipeline.api._best import choose_best
from pipeline.cli import app

runner = CliRunner()
TINY_SPACE = """
dataset: {name: signals, length: 16, n_samples: 120}
trial: {epochs: 2, batch_size: 32, eval_samples: 2, robustness: none}
search:
  candidate_group: [shift16, trivial]
  reg: {distribution: loguniform, low: 0.01, high: 0.1}
"""
ROWS = [
    {
        "trial_id": "a",
        "status": "completed",
        "metric_mode": "max",
        "val_metric": 0.6,
        "equivariance_error": 0.3,
        "train_seconds": 9.0,
    },
    {
        "trial_id": "b",
        "status": "failed",
        "metric_mode": "max",
        "val_metric": 0.99,
        "equivariance_error": 0.0,
        "train_seconds": 1.0,
    },
    {
        "trial_id": "c",
        "status": "stopped",
        "metric_mode": "max",
        "val_metric": 0.7,
        "equivariance_error": 0.5,
        "train_seconds": 2.0,
    },
    {
        "trial_id": "d",
        "status": "completed",
        "metric_mode": "max",
        "val_metric": float("nan"),
        "equivariance_error": 0.1,
        "train_seconds": 3.0,
    },
]


@pytest.mark.parametrize(
    ("metric", "mode", "space_mode", "expected"),
    [
        ("val_metric", None, None, ("c", "max")),  # a failed trial never wins; NaN is no score
        ("val_metric", None, "min", ("a", "min")),  # the sweep's own direction
        ("equivariance_error", None, None, ("d", "min")),  # errors: smaller is better
        ("train_seconds", "max", None, ("a", "max")),  # said outright
    ],
)
def test_choose_best_by_metric_and_direction(metric, mode, space_mode, expected):
    row, chosen_mode = choose_best(ROWS, metric, mode, space_mode)
    assert (row["trial_id"], chosen_mode) == expected


def test_unknown_metric_suggests_a_column_and_no_scores_is_an_error():
    with pytest.raises(BestTrialError, match=r"--metric val_metrc: .*did you mean val_metric\?"):
        choose_best(ROWS, "val_metrc")
    with pytest.raises(BestTrialError, match="no trial that did not fail"):
        choose_best([ROWS[1]])


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """Two single trials in one store (sweep q): shift16 at seeds 0 and 1."""
    folder = tmp_path_factory.mktemp("best")
    space = folder / "tiny.yaml"
    space.write_text(TINY_SPACE)
    store = str(folder / "store")
    results = {}
    for seed in (0, 1):
        done = runner.invoke(
            app,
            [
                "trial",
                str(space),
                "--store",
                store,
                "--name",
                "q",
                "--set",
                f"seed={seed}",
                "--json",
            ],
        )
        assert done.exit_code == 0, done.output
        results[seed] = json.loads(done.stdout)["trial"]
    return folder, store, results


def test_best_prints_a_space_that_reruns_the_trial_with_the_same_metric(stored):
    folder, store, results = stored
    done = runner.invoke(app, ["best", "q", "--store", store])
    assert done.exit_code == 0, done.output
    space = yaml.safe_load(done.stdout)
    winner = max(results.values(), key=lambda r: r["val_metric"])
    assert space["trial"]["seed"] == winner["seed"] and "search" not in space
    assert "_checkpoints/sweep=q/" in done.stderr and "state:" in done.stderr
    (folder / "best.yaml").write_text(done.stdout)
    rerun = runner.invoke(app, ["trial", str(folder / "best.yaml"), "--json"])
    assert rerun.exit_code == 0, rerun.output
    again = json.loads(rerun.stdout)["trial"]
    assert again["val_metric"] == winner["val_metric"]
    assert again["test_metric"] == winner["test_metric"]


def test_best_json_is_a_space_too(stored):
    _, store, _ = stored
    done = runner.invoke(
        app, ["best", "q", "--store", store, "--format", "json", "--metric", "equivariance_error"]
    )
    assert done.exit_code == 0, done.output
    space = json.loads(done.stdout)
    assert set(space) == {"name", "description", "dataset", "model", "trial"}
    assert "equivariance_error (min)" in space["description"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["best", "q", "--format", "toml"], "--format: expected yaml or json"),
        (["best", "q", "--metric", "val_metic"], "did you mean val_metric?"),
        (["best", "nothing"], "sweep nothing: no trials in the store"),
        (["best", "../q"], "is not a sweep name"),
    ],
)
def test_best_bad_input_is_one_line_exit_2(stored, args, message):
    _, store, _ = stored
    done = runner.invoke(app, [*args, "--store", store])
    assert done.exit_code == 2, done.output
    assert message in done.output and done.output.strip().count("\n") == 0


def test_load_model_predicts_the_stored_test_metric(stored):
    sweep = Sweep("q", stored[1])
    for row in sweep.trials().to_dict("records"):
        model = sweep.load_model(row["trial_id"])
        test = model.dataset.test
        assert model.score(model(test.inputs), test.targets) == pytest.approx(
            row["test_metric"], abs=1e-4
        )
        assert model.epoch == 2 and model.config.seed == row["seed"]
    plain = model(test.inputs[:4], averaged=False)
    assert plain.shape[0] == 4


def test_load_model_of_an_unknown_trial_is_an_error(stored):
    from pipeline.api import ModelStateError

    with pytest.raises(ModelStateError, match="has no trial 'nope'"):
        Sweep("q", stored[1]).load_model("nope")
