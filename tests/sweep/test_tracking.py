"""Experiment tracking: `loggers` in a space feeds MLflow and TensorBoard through Ray Tune."""

import json
import sys

import pytest
import torch
import yaml
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.space import SearchSpace, SpaceError
from pipeline.store import open_store, read_table
from pipeline.sweep._tracking import check_loggers, final_figures, mlflow_tracking_uri, tracked

RAY_BOOKKEEPING = ("pid", "hostname", "node_ip", "timestamp", "time_this_iter_s", "time_total_s")
RAY_BOOKKEEPING += ("training_iteration", "timesteps_total", "iterations_since_restore", "date")

TRACKED = {
    "dataset": {"name": "signals", "length": 32, "transform": "shift", "n_samples": 160},
    "trial": {"epochs": 2, "robustness": "true_group", "aug_warmup": 0, "batch_size": 32},
    "search": {
        "candidate_group": ["shift32"],
        "reg": {"distribution": "loguniform", "low": 0.05, "high": 0.5},
    },
    "searcher": "random",
    "num_samples": 2,
    "scheduler": {"name": "fifo"},
    "loggers": ["mlflow", "tensorboard"],
}


def test_final_figures_summarize_discovery_and_robustness_rows():
    discovery = [
        {
            "generator": "rot",
            "normalized_width": 0.8,
            "active": True,
            "present": False,
            "p_value": 0.02,
            "extent": 0.5,
        }
    ]
    robustness = [
        {"shift": "rot", "averaged": False, "metric": 0.9, "in_support": True},
        {"shift": "rot", "averaged": False, "metric": 0.7, "in_support": True},
        {"shift": "rot", "averaged": False, "metric": 0.4, "in_support": False},
        {"shift": "rot", "averaged": True, "metric": None, "in_support": False},
    ]
    figures = final_figures(discovery, robustness)
    assert figures == pytest.approx(
        {
            "discovery/rot/normalized_width": 0.8,
            "discovery/rot/active": 1.0,
            "discovery/rot/present": 0.0,  # the data test's verdict beside the widths
            "discovery/rot/p_value": 0.02,
            "discovery/rot/extent": 0.5,
            "robustness/rot/plain/in_support": 0.8,
            "robustness/rot/plain/out_of_support": 0.4,
            "robustness/rot/plain/worst": 0.4,
        }
    )


def test_trackers_get_the_trials_figures_and_texts_not_rays_bookkeeping():
    result = {
        **dict.fromkeys(RAY_BOOKKEEPING, 7),
        "hostname": "box",
        "config": {"lr": 0.1},
        "done": True,
        "trial_id": "t1",
        "epoch": 3,
        "val_metric": 0.9,
        "robustness": None,
        "node": "box/abc",
        "discovered_group": "SO2",
        "trial_status": "completed",
        "discovery/rot/present": 1.0,
        "discovery_correct": True,
    }
    step, numbers, texts = tracked(result)
    assert step == 3  # by epoch: Tune's iteration restarts in a resumed trial
    assert numbers == {
        "epoch": 3,
        "val_metric": 0.9,
        "discovery/rot/present": 1.0,
        "discovery_correct": 1.0,
    }
    assert texts == {"discovered_group": "SO2", "trial_status": "completed"}


def test_loggers_are_validated_in_the_space():
    assert SearchSpace(dataset={"name": "digits"}, loggers=["wandb"]).loggers == ["wandb"]
    for bad in (["neptune"], ["mlflow", "mlflow"]):
        with pytest.raises(ValueError, match="loggers"):
            SearchSpace(dataset={"name": "digits"}, loggers=bad)


def test_a_missing_tracking_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if it were not installed
    with pytest.raises(SpaceError, match=r"loggers: mlflow needs the mlflow package.*tracking"):
        check_loggers(["tensorboard", "mlflow"])


def test_sweep_cli_refuses_a_missing_logger_in_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "wandb", None)
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "outputs"))
    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump({**TRACKED, "loggers": ["wandb"]}))
    result = CliRunner().invoke(app, ["sweep", str(space), "--store", str(tmp_path / "s")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: loggers: wandb")
    assert "symsearch[tracking]" in lines[0]
    assert not (tmp_path / "s").exists() and not (tmp_path / "outputs").exists()


def test_mlflow_uri_comes_from_the_environment_else_outputs(monkeypatch, tmp_path):
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert mlflow_tracking_uri() == f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking:5000")
    assert mlflow_tracking_uri() == "http://tracking:5000"


@pytest.mark.slow
def test_mlflow_and_tensorboard_hold_each_trials_config_and_curves(
    ray_session, outputs, tmp_path, monkeypatch
):
    mlflow = pytest.importorskip("mlflow")
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    from pipeline.sweep import SweepOptions, prepare_sweep, start_sweep

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    path = tmp_path / "space.yaml"
    path.write_text(yaml.safe_dump(TRACKED))
    store = str(tmp_path / "store")
    prepared = prepare_sweep(path, SweepOptions(name="tracked", store=store))
    assert start_sweep(prepared) is True
    epochs = read_table(open_store(store), "epochs", "tracked").to_pylist()
    stored = {(e["trial_id"], e["epoch"]): e["val_metric"] for e in epochs}
    trials = read_table(open_store(store), "trials", "tracked").to_pylist()
    stored_trials = {t["trial_id"]: t["discovered_group"] for t in trials}

    mlflow.set_tracking_uri(f"sqlite:///{outputs / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["tracked"])
    assert len(runs) == 2 and set(runs["status"]) == {"FINISHED"}
    assert set(runs["params.candidate_group"]) == {"shift32"}
    assert len(set(runs["params.reg"])) == 2  # the searched values, one per trial
    assert set(runs["params.epochs"]) == {"2"}  # fixed settings too, not only searched ones
    client = mlflow.MlflowClient()
    for _, run in runs.iterrows():
        trial_id = run["tags.trial_id"]
        history = client.get_metric_history(run["run_id"], "val_metric")
        assert _curve(sorted((m.step, m.value) for m in history), stored, trial_id)
        assert run["metrics.test_metric"] == run["metrics.test_metric"]  # logged, not NaN
    for _, run in runs.iterrows():  # the final discovery and robustness figures
        logged = run.dropna().index
        assert any(
            k.startswith("metrics.discovery/") and k.endswith("/normalized_width") for k in logged
        )
        assert any(k.startswith("metrics.discovery/") and k.endswith("/present") for k in logged)
        assert any(k.startswith("metrics.robustness/") for k in logged)
        assert run["tags.discovered_group"] == stored_trials[run["tags.trial_id"]]
        assert not {f"metrics.{k}" for k in RAY_BOOKKEEPING} & set(run.index)
    _best_model_is_an_artifact(client, runs, store)

    _study_opens_with_optunas_api(outputs, [t["val_metric"] for t in trials])

    event_files = sorted((outputs / "ray").glob("**/events.out.tfevents.*"))
    assert len(event_files) == 2
    for event_file in event_files:
        events = accumulator.EventAccumulator(str(event_file))
        events.Reload()
        curve = [(s.step, s.value) for s in events.Scalars("ray/tune/val_metric")]
        assert any(_curve(curve, stored, trial_id) for trial_id in {key[0] for key in stored})
        scalars = set(events.Tags()["scalars"])
        assert not {f"ray/tune/{k}" for k in RAY_BOOKKEEPING} & scalars, scalars
        assert any(s.startswith("ray/tune/discovery/") and s.endswith("/present") for s in scalars)
        assert "discovered_group/text_summary" in events.Tags()["tensors"]
    best = max(trials, key=lambda t: t["val_metric"])["trial_id"]
    beside = outputs / "ray" / "tracked" / "best_model"
    assert json.loads((beside / "best.json").read_text())["trial_id"] == best
    assert torch.load(beside / f"{best}.pt", weights_only=True)["model"]


def _best_model_is_an_artifact(client, runs, store):
    """The best trial's saved state, as `best` and `load_model` read it, on its MLflow run."""
    trials = read_table(open_store(store), "trials", "tracked").to_pylist()
    best = max(trials, key=lambda t: t["val_metric"])["trial_id"]  # accuracy: max
    experiment = client.get_experiment_by_name("tracked")
    assert experiment.tags["best_trial_id"] == best
    (run_id,) = runs.loc[runs["tags.trial_id"] == best, "run_id"]
    (artifact,) = client.list_artifacts(run_id, "model")
    assert artifact.path == f"model/{best}.pt"
    local = client.download_artifacts(run_id, artifact.path)
    saved = open_store(store).fs.cat(f"{store}/_checkpoints/sweep=tracked/{best}.pt")
    assert open(local, "rb").read() == saved  # noqa: SIM115


def _curve(curve, stored, trial_id):
    """(epoch, val_metric) pairs equal to the stored epochs 1 and 2 of the trial."""
    steps, values = [step for step, _ in curve], [value for _, value in curve]
    expected = [stored[(trial_id, epoch)] for epoch in (1, 2)]
    return steps == [1, 2] and values == pytest.approx(expected, abs=1e-6)


def _study_opens_with_optunas_api(outputs, stored_trials):
    """What optuna-dashboard reads: the sweep's study storage, through Optuna's own API."""
    import optuna

    storage = f"sqlite:///{outputs / 'sweeps' / 'tracked' / 'optuna.db'}"
    summaries = optuna.get_all_study_summaries(storage)
    assert [s.study_name for s in summaries] == ["tracked"]
    study = optuna.load_study(study_name="tracked", storage=storage)
    values = sorted(t.value for t in study.trials if t.value is not None)
    assert values == pytest.approx(sorted(stored_trials))
