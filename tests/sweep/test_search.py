"""Define-by-run sampling: conditional parameters, types and ranges, without Ray."""

import optuna
import pytest
import yaml

from pipeline.space import SearchSpace, SpaceError, load_space, make_config
from pipeline.sweep import define_by_run, grid_points, make_sampler, meaningful

SPACE = {
    "dataset": {"name": "signals"},
    "search": {
        "candidate_group": ["trivial", "shift32", "learned2"],
        "reg": {"distribution": "loguniform", "low": 0.01, "high": 1.0},
        "basis_orthogonality": {"distribution": "uniform", "low": 0.0, "high": 1.0},
        "epochs": {"distribution": "randint", "low": 2, "high": 5},
        "seed": 7,
    },
}


def sample_many(tmp_path, n=60, sampler=None):
    path = tmp_path / "space.yaml"
    path.write_text(yaml.safe_dump(SPACE))
    sample = define_by_run(load_space(path))
    study = optuna.create_study(sampler=sampler or optuna.samplers.RandomSampler(seed=0))
    draws = []
    for _ in range(n):
        trial = study.ask()
        constants = sample(trial)
        draws.append({**trial.params, **constants})
        study.tell(trial, 0.0)
    return draws


def test_parameters_are_sampled_only_where_they_mean_something(tmp_path):
    draws = sample_many(tmp_path)
    assert {d["candidate_group"] for d in draws} == {"trivial", "shift32", "learned2"}
    for draw in draws:
        group = draw["candidate_group"]
        assert ("reg" in draw) == (group != "trivial")
        assert ("basis_orthogonality" in draw) == (group == "learned2")
        assert draw["seed"] == 7 and 2 <= draw["epochs"] <= 5 and isinstance(draw["epochs"], int)
        make_config({"dataset": SPACE["dataset"], **draw})  # every draw is a valid trial


def test_loguniform_draws_stay_in_range(tmp_path):
    regs = [d["reg"] for d in sample_many(tmp_path) if "reg" in d]
    assert regs and all(0.01 <= r <= 1.0 for r in regs)


def test_meaningful():
    assert not meaningful("prior", "trivial") and meaningful("prior", "SO2")
    assert meaningful("basis_sparsity", "learned1") and not meaningful("basis_sparsity", "SO2")
    assert meaningful("lr", "trivial")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"searcher": "bayes"},
            "searcher: Input should be 'discover', 'optuna', 'random' or 'grid'",
        ),
        (
            {"resources": {"cpu": 1, "gpu": -1}},
            "resources.gpu: Input should be greater than or equal",
        ),
        ({"resources": {"cpus": 1}}, "resources.cpus: unknown key; did you mean cpu?"),
        ({"scheduler": {"name": "hyperband"}}, "scheduler.name"),
        (
            {"search": {"tolerance": -0.1}},
            "search.tolerance: Input should be greater than or equal",
        ),
        ({"num_samples": 0}, "num_samples: Input should be greater than or equal to 1"),
    ],
)
def test_bad_sweep_settings_name_the_field(tmp_path, extra, message):
    path = tmp_path / "space.yaml"
    path.write_text(yaml.safe_dump({"dataset": {"name": "signals"}, **extra}))
    with pytest.raises(SpaceError, match=message):
        load_space(path)


def test_define_by_run_survives_plain_pickle():
    """Ray saves the Optuna searcher with pickle (not cloudpickle) in the experiment state."""
    import pickle

    import optuna

    space = SearchSpace(
        dataset={"name": "digits"},
        search={
            "candidate_group": ["trivial", "SO2"],
            "reg": {"distribution": "uniform", "low": 0.1, "high": 0.2},
        },
    )
    restored = pickle.loads(pickle.dumps(define_by_run(space)))
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(6):
        trial = study.ask()
        restored(trial)
        assert ("reg" in trial.params) == (trial.params["candidate_group"] == "SO2")
        study.tell(trial, 0.0)


def test_grid_points_are_distinct_and_skip_meaningless_parameters():
    space = SearchSpace(
        dataset={"name": "digits"},
        search={"candidate_group": ["trivial", "SO2"], "reg": [0.1, 0.2], "seed": [0, 1]},
    )
    points = grid_points(space)
    assert len(points) == 2 + 4  # trivial: seeds only; SO2: reg x seed
    assert all("reg" not in p for p in points if p["candidate_group"] == "trivial")
    assert len({tuple(sorted(p.items())) for p in points}) == len(points)


def test_grid_refuses_distributions_naming_the_field():
    space = SearchSpace(
        dataset={"name": "digits"},
        search={"reg": {"distribution": "uniform", "low": 0.1, "high": 0.2}},
    )
    with pytest.raises(SpaceError, match=r"search\.reg"):
        grid_points(space)


@pytest.mark.parametrize("searcher", ["random", "optuna"])
def test_searcher_seed_fixes_the_suggestions_and_another_seed_changes_them(tmp_path, searcher):
    def suggestions(seed):
        space = SearchSpace(dataset={"name": "signals"}, searcher=searcher, searcher_seed=seed)
        return sample_many(tmp_path, n=12, sampler=make_sampler(space))

    first = suggestions(3)
    assert suggestions(3) == first
    assert suggestions(4) != first
