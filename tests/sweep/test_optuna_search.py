"""The searcher over a persistent study: the study is asked once per trial, not per report, a
searcher restored from a snapshot asks again (its trials may have ended after it), each study
trial names the store's trial, and a trial a rung stopped is PRUNED."""

import optuna
import pytest

from pipeline.space import SearchSpace
from pipeline.sweep._optuna import ResumableOptunaSearch
from pipeline.sweep._search import define_by_run

SPACE = SearchSpace(dataset={"name": "signals"}, search={"lr": [0.01, 0.1]})


def searcher(tmp_path):
    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'study.db'}")
    found = ResumableOptunaSearch(
        space=define_by_run(SPACE), metric="val_metric", mode="max", study_name="s", storage=storage
    )
    return found, storage


def test_the_study_is_read_once_per_trial_not_per_report(tmp_path, monkeypatch):
    search, storage = searcher(tmp_path)
    assert search.suggest("t1") is not None
    reads = []
    original = storage.get_trial
    monkeypatch.setattr(storage, "get_trial", lambda i: reads.append(i) or original(i))
    for epoch in range(1, 101):
        search.on_trial_result("t1", {"val_metric": 0.5, "epoch": epoch})
    assert len(reads) == 1  # 100 reports, one read (the old code read on every report: 100)
    search.on_trial_complete("t1", {"val_metric": 0.6, "epoch": 100, "trial_status": "completed"})
    trial = optuna.load_study(study_name="s", storage=storage).trials[0]
    assert trial.state == optuna.trial.TrialState.COMPLETE and trial.value == 0.6
    assert len(trial.intermediate_values) == 100


def test_a_restored_searcher_ignores_a_trial_the_study_finished_after_its_snapshot(tmp_path):
    search, storage = searcher(tmp_path)
    search.suggest("t1")
    search.on_trial_result("t1", {"val_metric": 0.5, "epoch": 1})
    search.save(str(tmp_path / "searcher.pkl"))  # the snapshot: t1 running
    search.on_trial_complete("t1", {"val_metric": 0.7, "epoch": 2})  # ends after it

    restored, _ = searcher(tmp_path)
    restored.restore(str(tmp_path / "searcher.pkl"))
    restored.on_trial_result("t1", {"val_metric": 0.1, "epoch": 2})  # would raise in Optuna
    restored.on_trial_complete("t1", {"val_metric": 0.1, "epoch": 2})
    trial = optuna.load_study(study_name="s", storage=storage).trials[0]
    assert trial.value == 0.7


def test_study_trials_name_the_store_trial_and_a_rung_stop_is_pruned_with_its_values(tmp_path):
    search, storage = searcher(tmp_path)
    for trial_id in ("done", "stopped"):
        search.suggest(trial_id)
        for epoch in (1, 2, 3):
            search.on_trial_result(trial_id, {"val_metric": 0.1 * epoch, "epoch": epoch})
    search.on_trial_complete("done", {"val_metric": 0.9, "epoch": 3, "trial_status": "completed"})
    search.on_trial_complete("stopped", {"val_metric": 0.3, "epoch": 3})  # a rung: no end
    done, stopped = optuna.load_study(study_name="s", storage=storage).trials
    assert done.user_attrs["trial_id"] == "done" and stopped.user_attrs["trial_id"] == "stopped"
    assert done.state == optuna.trial.TrialState.COMPLETE and done.value == 0.9
    assert stopped.state == optuna.trial.TrialState.PRUNED
    assert stopped.intermediate_values == pytest.approx({1: 0.1, 2: 0.2, 3: 0.3})
    assert stopped.value == pytest.approx(0.3)  # Optuna's value of a pruned trial: its last


def test_a_fixed_candidate_group_is_still_a_parameter_of_the_study(tmp_path):
    search, storage = searcher(tmp_path)
    search.suggest("t1")
    (trial,) = optuna.load_study(study_name="s", storage=storage).trials
    assert trial.params["candidate_group"] == "trivial"  # SPACE searches lr only
