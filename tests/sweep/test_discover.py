"""The discovery strategy: its probe, how the probe's verdict narrows the candidates, and the
searcher driven as Tune drives it (no Ray runtime: suggest / on_trial_complete)."""

import pytest

from pipeline.space import SearchSpace
from pipeline.sweep._probe import most_general, narrowed, probe_point
from pipeline.sweep._strategy import build_searcher, grace_period, scheduler_for

DIGITS = {
    "dataset": {"name": "digits", "transform": "SO2"},
    "searcher": "discover",
    "search": {
        "candidate_group": {"choices": ["trivial", "C4", "SO2", "affine2"]},
        "lr": {"choices": [0.001, 0.003, 0.01], "default": 0.003},
        "reg": {"choices": [0.05, 0.2]},
    },
}


def test_the_probe_is_the_most_general_candidate_for_one_epoch_with_the_data_test():
    space = SearchSpace.model_validate(DIGITS)
    assert most_general(["trivial", "shift32", "flip", "shift32*flip"]) == "shift32*flip"
    assert probe_point(space) == {
        "candidate_group": "affine2",
        "lr": 0.003,
        "reg": 0.05,
        "discovery": "test",
        "epochs": 1,
    }


@pytest.mark.parametrize(
    ("found", "candidates", "expected"),
    [
        ("SO2", ["trivial", "C4", "SO2", "affine2"], ["SO2"]),
        ("shift32", ["trivial", "shift32", "flip", "shift32*flip"], ["shift32"]),
        ("trivial", ["trivial", "C4", "SO2"], ["trivial"]),
        ("C4", ["trivial", "SO2", "affine2"], ["SO2"]),  # none equal: the smallest that contains it
        ("O2", ["trivial", "C4", "SO2"], ["trivial", "C4", "SO2"]),  # none contains it: all
        (None, ["trivial", "SO2"], ["trivial", "SO2"]),  # the probe failed: all
    ],
)
def test_the_probe_verdict_narrows_the_candidates(found, candidates, expected):
    assert narrowed(candidates, found) == expected


def drive(searcher, results):
    """Suggest, then end each trial with results(point); the points in order."""
    points = []
    for number in range(8):
        trial_id = f"t{number}"
        point = searcher.suggest(trial_id)
        assert point is not None
        points.append(point)
        searcher.on_trial_complete(trial_id, results(point))
    return points


def test_after_the_probe_only_the_discovered_group_is_searched_and_no_point_twice():
    space = SearchSpace.model_validate(DIGITS)
    searcher = build_searcher(space, "max", "discover_test", None)
    probe = searcher.suggest("p")
    assert probe["candidate_group"] == "affine2" and probe["discovery"] == "test"
    assert searcher.suggest("waiting") is None  # nothing is drawn before the probe's verdict
    searcher.on_trial_complete(
        "p", {"val_metric": 0.1, "discovered_group": "SO2", "trial_status": "completed"}
    )
    points = drive(
        searcher,
        lambda p: {"val_metric": p["lr"] * 10 + p.get("reg", 0), "trial_status": "completed"},
    )
    assert points[6]["candidate_group"] == "trivial"  # the baseline: the budget's last (8)
    searched = [p for i, p in enumerate(points) if i != 6]
    assert {p["candidate_group"] for p in searched} == {"SO2"}
    seen = [(p["lr"], p["reg"]) for p in searched[:6]]  # 6 points in the narrowed space
    assert len(set(seen)) == len(seen)


def test_with_the_sweeps_data_test_there_is_no_probe_and_the_last_trial_is_the_baseline():
    space = SearchSpace.model_validate({**DIGITS, "num_samples": 4})
    searcher = build_searcher(space, "max", "tested", None, found="SO2")
    points = [searcher.suggest(f"t{n}") for n in range(4)]
    assert points[0] == {"candidate_group": "SO2", "lr": 0.003, "reg": 0.05}  # the defaults
    assert [p["candidate_group"] for p in points[1:3]] == ["SO2", "SO2"]
    assert points[3] == {"candidate_group": "trivial", "lr": 0.003}  # the baseline (no reg)
    searcher.on_trial_complete("t3", {"val_metric": 0.9, "trial_status": "completed"})
    finished = [t for t in searcher.inner._ot_study.trials if t.state.is_finished()]
    assert finished == []  # Optuna never sees the baseline


@pytest.mark.parametrize(
    ("values", "found"),
    [
        ({**DIGITS, "num_samples": 2}, "SO2"),  # no room in the budget
        ({**DIGITS, "num_samples": 8}, "trivial"),  # the search is on trivial already
        (
            {
                **DIGITS,
                "num_samples": 8,
                "search": {**DIGITS["search"], "candidate_group": ["C4", "SO2"]},
            },
            "SO2",
        ),
    ],
)
def test_no_baseline_without_room_or_without_a_trivial_candidate_outside(values, found):
    searcher = build_searcher(SearchSpace.model_validate(values), "max", "nb", None, found=found)
    count = SearchSpace.model_validate(values).num_samples
    groups = [searcher.suggest(f"t{n}")["candidate_group"] for n in range(count)]
    assert groups == [found] * count


def test_a_space_without_candidate_choices_is_searched_by_tpe_alone():
    space = SearchSpace.model_validate({**DIGITS, "search": {"lr": {"choices": [0.001, 0.01]}}})
    searcher = build_searcher(space, "max", "discover_plain", None)
    assert "discovery" not in searcher.suggest("t0")


def test_asha_judges_trials_at_the_end_of_the_warm_up_under_discover_else_after_it():
    space = SearchSpace.model_validate({**DIGITS, "trial": {"epochs": 30}})
    assert space.scheduler.name == "asha" and grace_period(space) == 3  # TrialConfig's warm-up
    rungs = [r for r, _ in scheduler_for(space, "max")._brackets[0]._rungs]
    assert min(rungs) == 3
    tpe = SearchSpace.model_validate(
        {**DIGITS, "trial": {"epochs": 30}, "searcher": "optuna", "scheduler": {"name": "asha"}}
    )
    assert grace_period(tpe) == 3 + 3  # groups compared: only after their widths learned
    searched = SearchSpace.model_validate({**DIGITS, "search": {"aug_warmup": [2, 5]}})
    assert grace_period(searched) == 5
    unfrozen = SearchSpace.model_validate({**DIGITS, "trial": {"aug_warmup": 0}})
    assert grace_period(unfrozen) == 1
    given = SearchSpace.model_validate({**DIGITS, "scheduler": {"grace_period": 2}})
    assert grace_period(given) == 2


def test_multi_objective_asha_ranks_by_the_first_metric():
    space = SearchSpace.model_validate(
        {
            **DIGITS,
            "metric": ["val_metric", "robustness"],
            "mode": ["max", "max"],
            "searcher": "optuna",
            "scheduler": {"name": "asha"},
        }
    )
    scheduler = scheduler_for(space, ["max", "max"])
    assert scheduler._metric == "val_metric"
    searcher = build_searcher(space, ["max", "max"], "mo", None)
    assert (
        searcher.suggest("t0")["candidate_group"] in DIGITS["search"]["candidate_group"]["choices"]
    )
    searcher.on_trial_complete(
        "t0", {"val_metric": 0.5, "robustness": 0.4, "trial_status": "completed"}
    )
    (trial,) = searcher.inner._ot_study.trials
    assert trial.values == [0.5, 0.4]


def test_a_lost_study_is_rebuilt_with_every_objective_without_the_probe_or_baseline():
    import json

    import optuna

    from pipeline.sweep._study import rebuild_study

    space = SearchSpace.model_validate(
        {**DIGITS, "metric": ["val_metric", "robustness"], "mode": ["max", "max"]}
    )
    probe = {**probe_point(space), "lr": 0.001}
    rows = [
        {
            "trial_id": "a",
            "status": "completed",
            "val_metric": 0.5,
            "robustness": 0.3,
            "config_json": json.dumps({"candidate_group": "SO2", "lr": 0.01, "reg": 0.2}),
        },
        {
            "trial_id": "p",
            "status": "completed",
            "val_metric": 0.1,
            "robustness": 0.1,
            "config_json": json.dumps(probe),
        },
    ]
    baseline = {"candidate_group": "trivial", "lr": 0.003}
    rows.append(
        {
            "trial_id": "b",
            "status": "completed",
            "val_metric": 0.4,
            "robustness": 0.2,
            "config_json": json.dumps(baseline),
        }
    )
    storage = optuna.storages.InMemoryStorage()
    assert rebuild_study(storage, "lost", space, ["max", "max"], rows) == 1
    (trial,) = optuna.load_study(study_name="lost", storage=storage).trials
    assert trial.values == [0.5, 0.3] and trial.params["candidate_group"] == "SO2"
    assert trial.user_attrs["trial_id"] == "a"


SMALL = {
    **DIGITS,
    "search": {
        "candidate_group": {"choices": ["trivial", "SO2", "affine2"]},
        "lr": {"choices": [0.001, 0.003, 0.01, 0.03], "default": 0.003},
    },
}


def probed(values, seed=0):
    """A discover searcher of ``values`` whose probe found SO2."""
    space = SearchSpace.model_validate({**values, "searcher_seed": seed})
    searcher = build_searcher(space, "max", f"probed_{seed}", None)
    searcher.suggest("p")
    searcher.on_trial_complete(
        "p", {"val_metric": 0.1, "discovered_group": "SO2", "trial_status": "completed"}
    )
    return searcher


@pytest.mark.parametrize("seed", range(4))
def test_trials_running_at_once_run_different_points(seed):
    searcher = probed(SMALL, seed)
    lrs = [searcher.suggest(f"t{n}")["lr"] for n in range(3)]  # 3 of the 4 points, none ended
    assert len(set(lrs)) == 3, lrs


def test_a_drawn_twin_of_a_running_trial_learns_its_result_when_it_ends():
    searcher = probed(SMALL)
    point = searcher.suggest("t0")
    searcher.twins["t0"] = ["twin"]  # as if the inner searcher had drawn t0's point again
    searcher.inner.suggest("twin")
    searcher.on_trial_complete("t0", {"val_metric": 0.5, "trial_status": "completed"})
    values = [t.value for t in searcher.inner._ot_study.trials if t.state.is_finished()]
    assert values == [0.5, 0.5] and point["candidate_group"] == "SO2"


def test_each_study_trial_names_the_store_trial_that_ran_its_point():
    searcher = probed(SMALL)
    searcher.suggest("t0")
    searcher.on_trial_complete("t0", {"val_metric": 0.5, "trial_status": "completed", "epoch": 3})
    for number in range(1, 6):  # four lr choices: later draws repeat t0's point
        searcher.suggest(f"t{number}")
    study = searcher.inner._ot_study.trials
    names = {t.user_attrs["trial_id"] for t in study}
    assert names <= {f"t{n}" for n in range(6)}, names  # never a redraw's own id ("t5~1")
    for trial in study:  # a repeat answered with an earlier trial's result names that trial
        point = {"lr": trial.params["lr"], "candidate_group": trial.params["candidate_group"]}
        assert point == searcher.points.get(trial.user_attrs["trial_id"], point)
    assert all(t.params["candidate_group"] == "SO2" for t in study)  # narrowed, still a param


@pytest.mark.parametrize("seed", range(4))
def test_a_point_a_rung_stopped_is_not_run_again(seed):
    two = {**SMALL, "search": {**SMALL["search"], "lr": {"choices": [0.001, 0.01]}}}
    searcher = probed(two, seed)
    first = searcher.suggest("t0")
    searcher.on_trial_complete("t0", {"val_metric": 0.2, "epoch": 6})  # stopped: no end
    assert searcher.suggest("t1")["lr"] != first["lr"]


def test_tpe_starts_at_once_under_discover_and_after_three_random_trials_otherwise():
    from pipeline.sweep._strategy import startup_trials

    assert startup_trials(SearchSpace.model_validate(DIGITS)) == 0
    assert startup_trials(SearchSpace.model_validate({**DIGITS, "searcher": "optuna"})) == 3
    given = SearchSpace.model_validate({**DIGITS, "startup_trials": 5})
    assert startup_trials(given) == 5
