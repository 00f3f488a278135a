"""A real database for the study: two sweeps share one PostgreSQL server at once, each ends with
its own complete study; a bad study_storage is one error line before anything runs."""

import subprocess
import sys

import optuna
import pytest
import yaml

from pipeline.sweep._study import driver_url
from tests.sweep.helpers import cli_env
from tests.sweep.postgres import postgres_bin, postgres_server

BUDGET = 3
SPACE = {
    "dataset": {"name": "signals", "length": 16, "transform": "shift", "n_samples": 120},
    "trial": {"epochs": 2, "batch_size": 32, "eval_samples": 2, "robustness": "none"},
    "search": {
        "candidate_group": ["trivial", "shift16"],
        "reg": {"distribution": "loguniform", "low": 0.02, "high": 0.5},
    },
    "num_samples": BUDGET,
    "max_concurrent": 1,
    "scheduler": {"name": "fifo"},
    "searcher": "optuna",  # the study holds every trial (no discovery probe)
}

needs_postgres = pytest.mark.skipif(
    postgres_bin() is None, reason="PostgreSQL binaries (initdb, pg_ctl) are not installed"
)


def command(*args):
    return [sys.executable, "-m", "pipeline.cli", *args]


@pytest.mark.slow
@needs_postgres
def test_two_sweeps_share_one_postgresql_study_storage_at_once(tmp_path):
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed (the postgres extra)")
    with postgres_server() as url:
        space = tmp_path / "space.yaml"
        space.write_text(yaml.safe_dump({**SPACE, "study_storage": url}))  # one from the space
        other = tmp_path / "other.yaml"
        other.write_text(yaml.safe_dump(SPACE))  # one from the flag
        runs = [
            subprocess.Popen(
                command("sweep", str(space), "--name", "one"),
                cwd=tmp_path,
                env=cli_env(),
                stderr=subprocess.PIPE,
                text=True,
            ),
            subprocess.Popen(
                command("sweep", str(other), "--name", "two", "--study-storage", url),
                cwd=tmp_path,
                env=cli_env(),
                stderr=subprocess.PIPE,
                text=True,
            ),
        ]
        for run in runs:
            _, err = run.communicate(timeout=600)
            assert run.returncode == 0, err[-3000:]
        storage = driver_url(url)
        assert sorted(optuna.study.get_all_study_names(storage)) == ["one", "two"]
        for name in ("one", "two"):
            study = optuna.load_study(study_name=name, storage=storage)
            states = {trial.state for trial in study.trials}
            assert states == {optuna.trial.TrialState.COMPLETE}, (name, states)
            # a redrawn point learns the earlier trial's result: study trials link to BUDGET runs
            linked = {trial.user_attrs.get("trial_id") for trial in study.trials}
            assert len(linked) == BUDGET and None not in linked, (name, linked)
        assert not (tmp_path / "outputs" / "sweeps" / "one" / "optuna.db").exists()
        # analyze, on a machine without the sweep's outputs, reads the study its record names
        from pipeline.analysis._summaries import load_study, param_importances
        from pipeline.sweep import study_location

        found = study_location("one", str(tmp_path / "outputs" / "store"))
        importances, why = param_importances(*load_study(found, "one"))
        assert why is None and set(importances["parameter"]) <= {"candidate_group", "reg"}
        assert len(importances) and importances["importance"].sum() == pytest.approx(1.0)
        elsewhere = {**cli_env(), "SYMSEARCH_OUTPUTS": str(tmp_path / "elsewhere")}
        again = subprocess.run(
            command("sweep", str(other), "--name", "one", "--store", "s2", "--study-storage", url),
            cwd=tmp_path,
            env=elsewhere,
            capture_output=True,
            text=True,
        )
        assert again.returncode == 2
        assert "holds a study named 'one' already" in again.stderr


def test_an_unreachable_study_storage_is_one_error_line(tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump({**SPACE, "study_storage": "nosuchdb://x/y"}))
    done = subprocess.run(
        command("sweep", str(space)),
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: study_storage: cannot open nosuchdb://x/y")
    assert done.stderr.strip().count("\n") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["space.yaml"]
