"""The discovery searcher recovers from a probe that missed a symmetry (it explores outside its
narrowing and widens), and does not run a continuous value again that is within tolerance of
one it ran."""

import itertools
import math

import pytest
from ray.tune.search import Searcher

from pipeline.space import SearchSpace
from pipeline.sweep._dedup import TOLERANCE, same_point
from pipeline.sweep._discover import EXPLORE_EVERY, DiscoverSearch
from pipeline.sweep._strategy import build_searcher

SPACE = {
    "dataset": {"name": "digits", "transform": "SO2"},
    "searcher": "discover",
    "num_samples": 24,
    "search": {
        "candidate_group": {"choices": ["trivial", "C4", "SO2", "affine2"]},
        "lr": {"choices": [0.001, 0.003, 0.01], "default": 0.003},
        "reg": {"distribution": "loguniform", "low": 0.02, "high": 0.5, "default": 0.1},
    },
}
TRUTH = {"trivial": "trivial", "C4": "C4", "SO2": "SO2", "affine2": "SO2"}


def result(point, accuracy):
    """A trial's end: its accuracy, and the group its candidate's data test found."""
    group = point["candidate_group"]
    return {
        "val_metric": accuracy[group],
        "trial_status": "completed",
        "epoch": 16,
        "discovered_group": TRUTH[group],
    }


def run(searcher, count, accuracy):
    points = []
    for n in range(count):
        point = searcher.suggest(f"t{n}")
        points.append(point)
        searcher.on_trial_complete(f"t{n}", result(point, accuracy))
    return points


def test_a_wrong_probe_is_overturned_by_a_trial_outside_the_narrowing():
    space = SearchSpace.model_validate(SPACE)
    space = SearchSpace.model_validate({**SPACE, "num_samples": 3 * EXPLORE_EVERY})
    searcher = build_searcher(space, "max", "wrong_probe", None, found="trivial")  # missed SO2
    accuracy = {"trivial": 0.5, "C4": 0.5, "SO2": 0.9, "affine2": 0.6}
    one, two = EXPLORE_EVERY, 2 * EXPLORE_EVERY
    points = run(searcher, 3 * EXPLORE_EVERY, accuracy)
    assert {p["candidate_group"] for p in points[:one]} == {"trivial"}  # the narrowing
    assert points[one]["candidate_group"] == "C4"  # explored: its test finds C4, beyond trivial
    assert searcher.narrowing == ["trivial", "C4", "SO2"]  # widened by C4, then by SO2
    assert points[two] == {"candidate_group": "SO2", "lr": 0.003, "reg": pytest.approx(0.1, 0.01)}
    drawn = [p["candidate_group"] for p in points[two + 1 :]]
    assert drawn.count("SO2") >= 2, drawn  # TPE now draws the better candidate itself
    study = searcher.inner._ot_study
    assert study.study_name == "wrong_probe-widened2"
    carried = {t.user_attrs.get("trial_id") for t in study.trials}
    assert study.trials[0].user_attrs["trial_id"] == "t0"  # it starts with the old results
    assert carried >= {"t0", "t1", "t2", f"t{one + 1}", f"t{one + 2}"}, carried


def test_a_right_probe_explores_one_trial_in_explore_every_and_stays_narrowed():
    count = 2 * EXPLORE_EVERY + 2
    space = SearchSpace.model_validate({**SPACE, "num_samples": count})
    searcher = build_searcher(space, "max", "right_probe", None, found="SO2")
    accuracy = {"trivial": 0.5, "C4": 0.95, "SO2": 0.9, "affine2": 0.7}
    points = run(searcher, count, accuracy)
    groups = [p["candidate_group"] for p in points]
    outside = {n: g for n, g in enumerate(groups) if g != "SO2"}
    explored = {EXPLORE_EVERY: "C4", 2 * EXPLORE_EVERY: "affine2", count - 1: "trivial"}
    assert outside == explored  # explored twice; the baseline last
    # C4 scored best, but its test found nothing the probe's SO2 lacks: no widening
    assert searcher.narrowing == ["SO2"]
    seen = {t.params["candidate_group"] for t in searcher.inner._ot_study.trials}
    assert seen == {"SO2"}  # Optuna never sees the explored trials


def test_an_explored_trial_stopped_by_a_rung_does_not_widen():
    space = SearchSpace.model_validate(SPACE)
    searcher = build_searcher(space, "max", "stopped", None, found="SO2")
    for n in range(EXPLORE_EVERY):
        searcher.suggest(f"t{n}")
        searcher.on_trial_complete(
            f"t{n}", {"val_metric": 0.5, "epoch": 16, "trial_status": "completed"}
        )
    assert searcher.suggest("x")["candidate_group"] == "C4"
    # stopped by a rung (no end, so its own test never ran): no widening
    searcher.on_trial_complete("x", {"val_metric": 0.99, "epoch": 3, "discovered_group": "C4"})
    assert searcher.narrowing == ["SO2"]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (0.1033, 0.1033 * math.exp(0.01), True),  # 1% apart on a log range of ln 25
        (0.1, 0.1 * math.exp(TOLERANCE * math.log(25) * 1.1), False),
        (0.1, 0.3, False),
    ],
)
def test_continuous_values_within_tolerance_are_one_point(a, b, same):
    dims = SearchSpace.model_validate(SPACE).dimensions()
    p, q = {"candidate_group": "SO2", "reg": a}, {"candidate_group": "SO2", "reg": b}
    assert same_point(p, q, dims) is same
    assert not same_point(p, {**q, "candidate_group": "C4"}, dims)


class Repeating(Searcher):
    """An inner searcher that offers values near the first one three times, then 0.3."""

    def __init__(self, space, part=""):
        super().__init__(metric="val_metric", mode="max")
        self.values = itertools.chain([0.1033, 0.10331, 0.1034], itertools.repeat(0.3))
        self.told = []

    def suggest(self, trial_id):
        return {"candidate_group": "SO2", "reg": next(self.values)}

    def on_trial_complete(self, trial_id, result=None, error=False):
        self.told.append((trial_id, result and result["val_metric"]))


def test_a_value_within_tolerance_of_a_run_point_is_not_run_again():
    space = SearchSpace.model_validate(SPACE)
    searcher = DiscoverSearch(space, Repeating, "val_metric", "max", found="SO2")
    first = searcher.suggest("t0")
    searcher.on_trial_complete("t0", {"val_metric": 0.7, "trial_status": "completed"})
    second = searcher.suggest("t1")
    assert (first["reg"], second["reg"]) == (0.1033, 0.3)
    # the near repeats learned t0's result instead of training
    assert searcher.inner.told == [("t0", 0.7), ("t1", 0.7), ("t1~1", 0.7)]


@pytest.mark.parametrize("kind", ["discover", "optuna"])
@pytest.mark.parametrize("seed", range(3))
def test_tpe_runs_no_two_trials_within_tolerance(seed, kind):
    """The best value sits at the range's end: TPE keeps drawing near it (0.1034, 0.1033).
    Plain optuna searches the one group the discovery would narrow to."""
    groups = ["trivial", "SO2", "affine2"] if kind == "discover" else ["SO2"]
    search = {
        "candidate_group": groups,
        "reg": {"distribution": "loguniform", "low": 0.1, "high": 0.5, "default": 0.25},
    }
    values = {**SPACE, "num_samples": 11, "searcher_seed": seed, "search": search}
    space = SearchSpace.model_validate({**values, "searcher": kind})
    found = "SO2" if kind == "discover" else None
    searcher = build_searcher(space, "max", f"tol{seed}{kind}", None, found=found)
    regs = []
    for n in range(10):
        reg = searcher.suggest(f"t{n}")["reg"]
        regs.append(reg)
        accuracy = -abs(math.log(reg / 0.1))
        searcher.on_trial_complete(f"t{n}", {"val_metric": accuracy, "trial_status": "completed"})
    for a, b in itertools.combinations(regs, 2):
        assert abs(math.log(a) - math.log(b)) > TOLERANCE * math.log(5), regs


def test_plain_optuna_saves_and_restores_what_it_ran(tmp_path):
    space = SearchSpace.model_validate({**SPACE, "searcher": "optuna"})
    searcher = build_searcher(space, "max", "plain", None)
    point = searcher.suggest("t0")
    searcher.on_trial_complete("t0", {"val_metric": 0.7, "trial_status": "completed"})
    running = searcher.suggest("t1")
    searcher.save(str(tmp_path / "searcher.pkl"))
    restored = build_searcher(space, "max", "plain", None)
    restored.restore(str(tmp_path / "searcher.pkl"))
    assert restored._ended(point)["val_metric"] == 0.7
    assert restored._running(running) == "t1"


def test_a_widened_search_survives_a_saved_and_restored_searcher(tmp_path):
    space = SearchSpace.model_validate({**SPACE, "num_samples": 3 * EXPLORE_EVERY})
    searcher = build_searcher(space, "max", "saved", None, found="trivial")
    run(searcher, EXPLORE_EVERY + 1, {"trivial": 0.5, "C4": 0.5, "SO2": 0.9, "affine2": 0.6})
    running = searcher.suggest("r")  # drawn from the widened study, running at the snapshot
    searcher.save(str(tmp_path / "searcher.pkl"))
    restored = build_searcher(space, "max", "saved", None, found="trivial")
    restored.restore(str(tmp_path / "searcher.pkl"))
    assert restored.narrowing == ["trivial", "C4"] and running is not None
    restored.on_trial_complete("r", {"val_metric": 0.7, "trial_status": "completed"})
    values = [t.value for t in restored.inner._ot_study.trials if t.state.is_finished()]
    assert 0.7 in values and restored.suggest("next") is not None
