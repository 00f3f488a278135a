"""The searcher over a persistent study: the study is asked once per trial, not per report, and
a searcher restored from a snapshot asks again (its trials may have ended after it)."""

import optuna

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
    search.on_trial_complete("t1", {"val_metric": 0.6, "epoch": 100})
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
