"""analyze opens a sweep's study read-only and never creates one (a record may name any path)."""

import os
import stat
from pathlib import Path

import optuna

from pipeline.analysis._summaries import load_study


def test_a_study_path_that_is_not_there_stays_not_there(tmp_path):
    for study in (f"sqlite:///{tmp_path}/named-by-a-record.db", tmp_path / "local.db"):
        found, why = load_study(study, "s")
        assert found is None and why == "no Optuna study for this sweep"
    assert list(tmp_path.iterdir()) == []


def test_a_study_is_read_without_writing_it(tmp_path):
    path = tmp_path / "optuna.db"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="s", storage=f"sqlite:///{path}")
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=3)
    os.chmod(path, stat.S_IRUSR)  # read-only: any write would fail
    before = path.stat().st_mtime_ns, sorted(tmp_path.iterdir())
    try:
        found, why = load_study(Path(path), "s")
        assert why is None and len(found.trials) == 3
        assert (path.stat().st_mtime_ns, sorted(tmp_path.iterdir())) == before
    finally:
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
