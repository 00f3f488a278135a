"""SweepOptions: one options object for the CLI, the Python API and resume (no Ray here)."""

from dataclasses import FrozenInstanceError, replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pipeline
from pipeline.cli import app
from pipeline.space import SpaceError
from pipeline.sweep import Prepared, SweepOptions, prepare_sweep, resume_sweep

QUICKSTART = Path(__file__).resolve().parents[2] / "search_spaces" / "quickstart.yaml"


class Captured(Exception):
    """Raised by a stand-in for prepare_sweep or resume_sweep once it has seen the options."""


def _capture(monkeypatch, function: str) -> list[SweepOptions]:
    seen: list[SweepOptions] = []

    def stand_in(*args):
        seen.append(args[-1])
        raise Captured

    monkeypatch.setattr(f"pipeline.sweep.{function}", stand_in)
    return seen


def test_the_cli_and_the_api_build_equal_sweep_options_from_equal_inputs(monkeypatch, tmp_path):
    seen = _capture(monkeypatch, "prepare_sweep")
    store = str(tmp_path / "store")
    flags = ["--name", "n", "--store", store, "--num-samples", "3", "--max-concurrent", "2"]
    flags += ["--address", "auto", "--study-storage", "sqlite:///x.db", "--verbose", "--force"]
    flags += ["--set", "epochs=2", "--set", "dataset.limit=300", "--set", "reg=0.5"]
    result = CliRunner().invoke(app, ["sweep", str(QUICKSTART), *flags])
    assert isinstance(result.exception, Captured), result.output
    with pytest.raises(Captured):
        pipeline.sweep(
            QUICKSTART,
            name="n",
            store=store,
            num_samples=3,
            max_concurrent=2,
            address="auto",
            study_storage="sqlite:///x.db",
            verbose=True,
            force=True,
            epochs=2,
            dataset={"limit": 300},
            reg=0.5,
        )
    cli, api = seen
    assert cli == api
    assert cli.overrides == {"epochs": 2, "dataset.limit": 300, "reg": 0.5}
    assert (cli.num_samples, cli.max_concurrent, cli.verbose, cli.force) == (3, 2, True, True)


def test_the_cli_and_the_api_build_equal_resume_options_from_equal_inputs(monkeypatch, tmp_path):
    seen = _capture(monkeypatch, "resume_sweep")
    store = str(tmp_path / "store")
    flags = ["--store", store, "--num-samples", "5", "--set", "resources.cpu=2"]
    flags += ["--allow-factory", "my_data:make", "--trust-store", "--force"]
    result = CliRunner().invoke(app, ["resume", "n", *flags])
    assert isinstance(result.exception, Captured), result.output
    with pytest.raises(Captured):
        pipeline.Sweep("n", store).resume(
            5, allow_factories=["my_data:make"], trust_store=True, force=True, resources={"cpu": 2}
        )
    cli, api = seen
    assert cli == api and cli.allow_factories == ("my_data:make",)


def test_a_resume_reuses_the_options_the_launch_settled(monkeypatch, outputs, tmp_path):
    launched = prepare_sweep(
        QUICKSTART,
        SweepOptions(name="r", store=str(tmp_path / "store"), max_concurrent=2, verbose=True),
    )
    launched.record.save()
    assert launched.options.store == launched.record.store  # the URL, made absolute
    monkeypatch.setattr(Prepared, "run_tests", lambda self: None)  # no data test, no Ray:
    monkeypatch.setattr(
        "pipeline.sweep._resume._run_resume", lambda prepared, location: (prepared, True)
    )
    resumed, _ = resume_sweep(SweepOptions(name="r", force=True))
    assert resumed.options == replace(launched.options, force=True)
    assert (resumed.options.max_concurrent, resumed.options.verbose) == (2, True)


def test_a_resume_refuses_the_settings_a_launch_fixed_and_a_launch_the_resume_flags(
    outputs, tmp_path
):
    prepare_sweep(QUICKSTART, SweepOptions(name="r", store=str(tmp_path / "s"))).record.save()
    with pytest.raises(SpaceError, match="max_concurrent: a resumed sweep keeps the setting"):
        resume_sweep(SweepOptions(name="r", max_concurrent=3))
    with pytest.raises(SpaceError, match="name: a resume names the sweep"):
        resume_sweep(SweepOptions())
    with pytest.raises(SpaceError, match="trust_store: only a resume reads factories"):
        prepare_sweep(QUICKSTART, SweepOptions(name="x", trust_store=True))
    with pytest.raises(SpaceError, match="overrides: expected a mapping, got list"):
        prepare_sweep(QUICKSTART, SweepOptions(name="x", overrides=["epochs=2"]))


def test_options_are_frozen_and_default_to_the_space():
    options = SweepOptions()
    with pytest.raises(FrozenInstanceError):
        options.name = "other"  # type: ignore[misc]
    assert options == SweepOptions(overrides={}, allow_factories=[])
    assert (options.num_samples, options.store, options.cluster) == (None, None, None)
