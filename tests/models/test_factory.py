"""``model: {factory: "module:function"}``: the user's network, built from the data's description,
checked by the dry run, and used by trial, best and load_model like a built-in backbone."""

import pytest
import yaml
from typer.testing import CliRunner

from pipeline.api import Sweep
from pipeline.cli import app
from pipeline.errors import SymsearchError
from pipeline.models import DataSpec
from pipeline.space import make_config, parse_space
from pipeline.trial import build
from tests import trial_factories

runner = CliRunner()
FACTORY = "tests.trial_factories:tiny_net"
SPACE = f"""
dataset: {{name: signals, length: 16, n_samples: 120}}
model: {{factory: "{FACTORY}", hidden: 8}}
trial: {{epochs: 2, batch_size: 32, eval_samples: 2, robustness: none, discovery: widths}}
search:
  candidate_group: [shift16, trivial]
"""
SIGNALS = {"name": "signals", "length": 16, "n_samples": 120}


def _config(model, **settings):
    return make_config(
        {"dataset": SIGNALS, "model": model, "candidate_group": "trivial", **settings}
    )


def test_the_factory_is_told_the_data_and_given_its_options():
    trial_factories.SEEN.clear()
    setup = build(_config({"factory": FACTORY, "hidden": 8}))
    assert isinstance(setup.model, trial_factories.TinyNet)
    assert setup.model.body[1].out_features == 8  # the option reached the factory
    (spec,) = trial_factories.SEEN
    assert spec == DataSpec("sequence", "classification", (1, 16), 4, None, 4, None)
    with pytest.raises(AttributeError):
        spec.kind = "image"  # frozen


def test_sympe_tells_the_factory_the_input_with_its_encoding_channel():
    trial_factories.SEEN.clear()
    build(_config({"factory": FACTORY}, candidate_group="shift16", symmetry_breaking="sympe"))
    from pipeline.methods.sympe import with_encoding_channel

    encoded = with_encoding_channel("sequence", (1, 16))
    assert trial_factories.SEEN[-1].in_shape == encoded != (1, 16)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("tests.no_such_module:net", "model.factory 'tests.no_such_module:net': cannot import"),
        ("tests.trial_factories:nothing", "has no function 'nothing'"),
        ("tests.trial_factories:not_a_module", "returned dict, expected a torch.nn.Module"),
        ("tests.trial_factories:raising_net", "failed: KeyError: 'hidden'"),
        (
            "tests.trial_factories:wrong_outputs",
            "output shape (2, 3) on a batch of 2 inputs of shape (1, 16), expected (2, 4)",
        ),
    ],
)
def test_a_bad_factory_is_one_line_before_training(path, message):
    with pytest.raises(SymsearchError, match=r"^model\.factory ") as error:
        build(_config({"factory": path}))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_misspelled_factory_path_is_refused_with_the_space():
    with pytest.raises(
        SymsearchError, match=r"^model: factory must look like 'package.module:function'"
    ):
        parse_space({"dataset": SIGNALS, "model": {"factory": "no colon"}})


def test_the_sweep_dry_run_refuses_a_bad_factory_before_ray(tmp_path):
    from pipeline.sweep import SweepOptions, prepare_sweep

    space = parse_space(
        yaml.safe_load(SPACE.replace(FACTORY, "tests.trial_factories:wrong_outputs"))
    )
    with pytest.raises(SymsearchError, match="output shape"):
        prepare_sweep(space, SweepOptions(name="bad", store=str(tmp_path / "store")))
    assert not (tmp_path / "store").exists()


def test_the_cli_says_it_in_one_line_with_exit_2(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text(SPACE.replace(FACTORY, "tests.trial_factories:not_a_module"))
    done = runner.invoke(app, ["trial", str(path)])
    assert done.exit_code == 2
    assert done.output.strip().count("\n") == 0 and "expected a torch.nn.Module" in done.output


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    folder = tmp_path_factory.mktemp("factory")
    (folder / "space.yaml").write_text(SPACE)
    store = str(folder / "store")
    done = runner.invoke(
        app, ["trial", str(folder / "space.yaml"), "--store", store, "--name", "m"]
    )
    assert done.exit_code == 0, done.output
    return folder, store


def test_trial_best_and_load_model_run_the_users_network(stored):
    _, store = stored
    best = runner.invoke(app, ["best", "m", "--store", store])
    assert best.exit_code == 0, best.output
    assert yaml.safe_load(best.stdout)["model"] == {"factory": FACTORY, "hidden": 8}
    sweep = Sweep("m", store)
    with pytest.raises(SymsearchError, match=r"--allow-factory tests\.trial_factories:tiny_net"):
        sweep.load_model()  # a factory named by stored data is someone else's code
    model = sweep.load_model(allow_factories=[FACTORY])
    assert isinstance(model.network, trial_factories.TinyNet)
    row = sweep.trials().iloc[0]
    test = model.dataset.test
    assert model.score(model(test.inputs), test.targets) == pytest.approx(
        row["test_metric"], abs=1e-4
    )


@pytest.mark.slow
def test_a_sweep_trains_the_users_network_on_ray(ray_session, outputs, tmp_path):
    import pipeline

    space = yaml.safe_load(SPACE)
    space["trial"]["epochs"] = 1
    sweep = pipeline.sweep(space, name="own", store=str(tmp_path / "store"), num_samples=2)
    trials = sweep.trials()
    assert len(trials) == 2 and set(trials["status"]) == {"completed"}
    assert set(trials["params_candidate_group"]) <= {"shift16", "trivial"}
    model = sweep.load_model(allow_factories=[FACTORY])
    assert isinstance(model.network, trial_factories.TinyNet)


def test_the_how_to_example_builds_and_trains(tmp_path, monkeypatch):
    import sys

    from tests.docs_blocks import marked_block

    (tmp_path / "my_net.py").write_text(marked_block("docs/how-to/own-model.md", "own-model"))
    monkeypatch.chdir(tmp_path)  # found in the working directory, as for data factories
    monkeypatch.delitem(sys.modules, "my_net", raising=False)
    from pipeline.trial import run_trial

    config = _config({"factory": "my_net:small_mlp", "hidden": 16}, epochs=1, robustness="none")
    result = run_trial(config)
    assert result.trial["status"] == "completed" and result.trial["test_metric"] is not None
    assert build(config).model[1].out_features == 16
