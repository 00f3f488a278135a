"""Search spaces: errors name the field; one trial's values are resolved as documented."""

import math
from pathlib import Path

import pytest
import yaml

from pipeline.space import SpaceError, load_space, trial_config

SPACES = sorted((Path(__file__).resolve().parents[1] / "search_spaces").glob("*.yaml"))


def write(tmp_path, content) -> Path:
    path = tmp_path / "space.yaml"
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    return path


BASE = {"dataset": {"name": "signals"}}


@pytest.mark.parametrize("path", SPACES, ids=lambda p: p.name)
def test_shipped_spaces_load_and_resolve(path):
    space = load_space(path)
    config = trial_config(space)
    assert config.dataset == space.dataset


def test_resolution_order_override_default_first_choice_middle(tmp_path):
    space = load_space(
        write(
            tmp_path,
            {
                **BASE,
                "search": {
                    "candidate_group": ["shift16", "trivial"],
                    "reg": {"distribution": "loguniform", "low": 0.01, "high": 1.0},
                    "lr": {
                        "distribution": "uniform",
                        "low": 0.001,
                        "high": 0.003,
                        "default": 0.002,
                    },
                    "epochs": {"distribution": "randint", "low": 2, "high": 6},
                },
            },
        )
    )
    config = trial_config(space)
    assert config.candidate_group == "shift16"
    assert config.reg == pytest.approx(math.sqrt(0.01))
    assert config.lr == 0.002 and config.epochs == 4
    config = trial_config(space, {"reg": 0.5, "dataset.length": 16, "model.kernel": 3})
    assert config.reg == 0.5 and config.dataset["length"] == 16 and config.model == {"kernel": 3}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({**BASE, "serach": {}}, "serach: unknown key; did you mean search?"),
        ({**BASE, "search": {"lr_rate": 0.1}}, "search: unknown parameter 'lr_rate'"),
        ({**BASE, "trial": {"epochs": "many"}}, "trial.epochs: Input should be a valid integer"),
        (
            {**BASE, "search": {"candidate_group": ["SO2", "SO(2)"]}},
            r"search.candidate_group: unknown group 'SO\(2\)'",
        ),
        (
            {**BASE, "search": {"reg": {"distribution": "lognormal", "low": 0, "high": 1}}},
            "search.reg.distribution",
        ),
        (
            {**BASE, "search": {"reg": {"distribution": "uniform", "low": 0}}},
            "search.reg.high: Field required",
        ),
        (
            {**BASE, "search": {"lr": {"distribution": "uniform", "low": -1, "high": 1}}},
            "search.lr: Input should be greater than 0",
        ),
        ({**BASE, "trial": {"seed": 1}, "search": {"seed": [1, 2]}}, "search.seed: also fixed"),
        ({"search": {}}, "dataset: Field required"),
        ("dataset: [unclosed", "not valid YAML"),
        ("- a list", "a search space is a mapping"),
    ],
)
def test_bad_spaces_raise_one_line_naming_the_field(tmp_path, content, message):
    with pytest.raises(SpaceError, match=message) as info:
        load_space(write(tmp_path, content))
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(SpaceError, match="no such search space file"):
        load_space(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"colour": "red"}, "--set colour: unknown parameter"),
        ({"prior": "cauchy"}, "prior: Input should be 'uniform' or 'gaussian'"),
        ({"candidate_group": "SO4"}, "candidate_group: unknown group 'SO4'"),
    ],
)
def test_bad_overrides_name_the_field(tmp_path, override, message):
    with pytest.raises(SpaceError, match=message):
        trial_config(load_space(write(tmp_path, BASE)), override)


@pytest.mark.parametrize(
    ("scheduler", "searcher", "name"),
    [
        (None, None, "asha"),  # the measured default under discover, the default searcher
        ({}, "discover", "asha"),
        (None, "optuna", "fifo"),  # ... and under the others
        ({}, "grid", "fifo"),
        ({"grace_period": 8}, "optuna", "asha"),  # asha's settings without a name mean asha
        ({"brackets": 3}, "random", "asha"),
        ({"name": "fifo", "grace_period": 8}, None, "fifo"),
        ({"name": "fifo"}, "discover", "fifo"),
        ({"name": "asha"}, "optuna", "asha"),
    ],
)
def test_an_unnamed_scheduler_is_the_searchers_default_unless_asha_settings_are_given(
    tmp_path, scheduler, searcher, name
):
    from pipeline.space import with_overrides

    given = {"scheduler": scheduler} if scheduler is not None else {}
    space = load_space(
        write(tmp_path, {**BASE, **given, **({"searcher": searcher} if searcher else {})})
    )
    assert space.scheduler.name == name
    if scheduler in (None, {}):  # not fixed by the first reading: the searcher decides again
        assert with_overrides(space, {"scheduler.grace_period": 2}).scheduler.name == "asha"
        other = "optuna" if name == "asha" else "discover"
        flipped = "fifo" if name == "asha" else "asha"
        assert with_overrides(space, {"searcher": other}).scheduler.name == flipped
