"""The Python API on a real Ray: the tutorial notebook (docs/tutorial.ipynb) executed in a real
kernel, and `symsearch best` of a sweep reproduced by `symsearch trial`; `--set` on sweep and
resume without Ray."""

import json
import os
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml

import pipeline
from pipeline.errors import SymsearchError
from pipeline.space import SpaceError
from pipeline.sweep import SweepOptions, load_record, prepare_sweep, resume_sweep
from tests.sweep.helpers import symsearch

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "search_spaces" / "quickstart.yaml"


TUTORIAL = ROOT / "docs" / "tutorial.ipynb"
# Run after the tutorial's own cells, in its kernel: what the test checks of its variables.
CHECK_CELL = """import json
print(json.dumps({"labels": list(predictor.labels(load_digits().images[:10]).shape),
                  "best": best.trial_id, "report": str(analysis.report)}))"""


def execute_tutorial(outputs: Path) -> dict:
    """The notebook as a user runs it: a fresh kernel in the repository root, its own Ray (2
    CPUs, not the test session's), everything under ``outputs``; then CHECK_CELL's values."""
    import nbclient
    import nbformat

    notebook = nbformat.read(TUTORIAL, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(CHECK_CELL))
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}  # no joining ours
    env.update(
        SYMSEARCH_OUTPUTS=str(outputs),
        RAY_OVERRIDE_RESOURCES=json.dumps({"CPU": 2}),
        RAY_ENABLE_UV_RUN_RUNTIME_ENV="0",
        OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "1"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute(env=env)  # a failing cell (the notebook's own assert) raises here
    return json.loads(notebook.cells[-1].outputs[-1]["text"])


class TutorialRun(NamedTuple):
    outputs: Path
    checked: dict


@pytest.fixture(scope="module")
def tutorial_run(tmp_path_factory) -> TutorialRun:
    """The tutorial executed once (tests/conftest.py runs its readers on one worker)."""
    outputs = tmp_path_factory.mktemp("tutorial") / "outputs"
    return TutorialRun(outputs, execute_tutorial(outputs))


@pytest.mark.slow
def test_the_tutorial_notebook_runs_and_its_model_reproduces_the_test_metric(tutorial_run):
    outputs, checked = tutorial_run  # the notebook asserts the test metric itself
    assert checked["labels"] == [10]  # the predictor on ten raw 8x8 digits
    sweep = pipeline.open_sweep("tutorial", store=str(outputs / "store"))
    trials = sweep.trials()
    # the default searcher tests the data first (no probe trial), then runs two full trials
    assert len(trials) == 2 and sorted(trials["epochs"]) == [2, 2]
    assert len(sweep.data_tests()) >= 1  # the data test, stored once
    assert checked["best"] in set(trials["trial_id"])
    assert sweep.best().trial_id == checked["best"]
    assert len(pipeline.read_table(sweep.store, "epochs", "tutorial")) == 4
    provenance = trials.iloc[0]
    assert provenance["symsearch_version"] == pipeline.__version__
    assert provenance["torch_version"] and provenance["ray_version"] and provenance["host"]
    assert provenance["git_commit"] is None or len(provenance["git_commit"]) == 40
    report = Path(checked["report"])  # the notebook's analyze, under outputs/
    assert report.is_file() and (report.parent / "discovery_summary.csv").is_file()
    assert report.is_relative_to(outputs)


@pytest.mark.slow
def test_symsearch_best_of_a_sweep_reruns_with_the_same_val_metric(tutorial_run, tmp_path):
    store = str(tutorial_run.outputs / "store")  # the tutorial's sweep; best and trial as CLIs
    best = symsearch("best", "tutorial", "--store", store, cwd=tmp_path)
    (tmp_path / "best.yaml").write_text(best.stdout)
    assert "_checkpoints/sweep=tutorial/" in best.stderr
    rerun = json.loads(symsearch("trial", "best.yaml", "--json", cwd=tmp_path).stdout)["trial"]
    stored = pipeline.read_table(store, "trials", "tutorial")
    row = stored[stored["trial_id"] == yaml.safe_load(best.stdout)["description"].split()[2]]
    assert rerun["val_metric"] == pytest.approx(float(row["val_metric"].iloc[0]), abs=1e-6)
    assert rerun["seed"] == int(row["seed"].iloc[0]) and sorted(stored["epochs"]) == [2, 2]


def test_sweep_set_fixes_trial_settings_and_changes_sweep_settings(tmp_path, outputs):
    prepared = prepare_sweep(
        QUICKSTART,
        SweepOptions(
            store=str(tmp_path / "store"),
            overrides={
                "epochs": 2,
                "dataset.limit": 300,
                "reg": 0.3,
                "scheduler.grace_period": 1,
                "num_samples": 3,
            },
        ),
    )
    space = prepared.space
    assert space.trial["epochs"] == 2 and space.trial["reg"] == 0.3 and "reg" not in space.search
    assert space.dataset["limit"] == 300 and space.dataset["transform"] == "SO2"
    assert space.scheduler.grace_period == 1 and prepared.record.budget == 3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"num_sample": 3}, "--set num_sample: unknown parameter; did you mean num_samples?"),
        ({"epochs": 0}, "epochs: Input should be greater than or equal to 1"),
        ({"scheduler.grace_perod": 2}, "grace_perod: unknown key; did you mean grace_period?"),
    ],
)
def test_sweep_set_mistakes_are_one_line_before_anything_is_written(
    tmp_path, outputs, overrides, message
):
    with pytest.raises(SpaceError) as raised:
        prepare_sweep(QUICKSTART, SweepOptions(store=str(tmp_path / "store"), overrides=overrides))
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert not (tmp_path / "store").exists() and not outputs.exists()


def test_the_api_refuses_a_bad_dict_space_before_ray(tmp_path, outputs):
    with pytest.raises(SymsearchError, match="num_sample: unknown key; did you mean num_samples"):
        pipeline.sweep(
            {"dataset": {"name": "signals"}, "num_sample": 2}, store=str(tmp_path / "store")
        )
    with pytest.raises(SymsearchError, match="--set epoch: unknown parameter; did you mean epochs"):
        pipeline.sweep(QUICKSTART, store=str(tmp_path / "store"), epoch=2)
    assert not (tmp_path / "store").exists()


def test_resume_set_changes_how_trials_run_never_what_they_are(tmp_path, outputs):
    store = str(tmp_path / "store")
    prepare_sweep(QUICKSTART, SweepOptions(name="r", store=store)).record.save()
    with pytest.raises(SpaceError, match="--set epochs: a resumed sweep keeps its trials' "):
        resume_sweep(SweepOptions(name="r", overrides={"epochs": 3}))
    with pytest.raises(SpaceError, match=r"--set dataset\.limit: a resumed sweep keeps"):
        pipeline.open_sweep("r").resume(dataset={"limit": 10})
    assert load_record("r").space["checkpoint_seconds"] == 10.0


def test_an_interrupted_sweep_from_python_says_how_to_resume_it(
    tmp_path, outputs, monkeypatch, capsys
):
    import importlib

    module = importlib.import_module("pipeline.sweep")
    monkeypatch.setattr(module, "start_sweep", lambda prepared: False)  # as after Ctrl-C
    space = {"dataset": {"name": "signals", "length": 16, "n_samples": 60}, "num_samples": 1}
    pipeline.sweep(space, name="cut", store=str(tmp_path / "store"))
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "`symsearch resume cut`" in line and "Tuner" not in line


def test_an_interrupted_factory_sweep_names_the_flags_its_resume_needs(
    tmp_path, outputs, monkeypatch, capsys
):
    import importlib

    module = importlib.import_module("pipeline.sweep")
    monkeypatch.setattr(module, "start_sweep", lambda prepared: False)  # as after Ctrl-C
    space = {
        "dataset": {"name": "signals", "length": 16, "n_samples": 60},
        "model": {"factory": "tests.trial_factories:tiny_net"},
        "num_samples": 1,
    }
    pipeline.sweep(space, name="net", store=str(tmp_path / "store"))
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "`symsearch resume net --allow-factory tests.trial_factories:tiny_net`" in line
    assert "resume(allow_factories=['tests.trial_factories:tiny_net'])" in line
