"""What the command line offers a user who half remembers: completion of sweep names, and "did
you mean" for sweep names, query tables and flags that are settings (``--set``)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.cli._app import main
from pipeline.store import StoreWriter, open_store

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def known(tmp_path, monkeypatch):
    """A sweep record `quickstart` under outputs/, and a store whose trials hold `quickstart`
    and `rings` (a `trial --store --name rings`, no record)."""
    outputs = tmp_path / "outputs"
    (outputs / "sweeps" / "quickstart").mkdir(parents=True)
    (outputs / "sweeps" / "quickstart" / "sweep.json").write_text("{}")
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(outputs))
    store = str(tmp_path / "store")
    for sweep in ("quickstart", "rings"):
        writer = StoreWriter(open_store(store), sweep, "t1", 1)
        writer.add("trials", {"status": "completed", "val_metric": 0.5})
        writer.flush()
    return store


def complete(words, cwd, env_outputs):
    """What bash completion offers for the command line ``words`` (the last one partial)."""
    env = {**os.environ, "SYMSEARCH_OUTPUTS": env_outputs, "PYTHONPATH": str(ROOT)}
    env.update(
        _SYMSEARCH_COMPLETE="complete_bash",
        COMP_WORDS=" ".join(words),
        COMP_CWORD=str(len(words) - 1),
    )
    command = [sys.executable, "-m", "pipeline.cli"]
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_sweep_names_complete_from_records_and_the_store(known, tmp_path):
    outputs = os.environ["SYMSEARCH_OUTPUTS"]
    assert complete(["symsearch", "status", "q"], tmp_path, outputs) == ["quickstart"]
    offered = complete(["symsearch", "best", "--store", known, ""], tmp_path, outputs)
    assert offered == ["quickstart", "rings"]
    assert complete(["symsearch", "analyze", "--store", known, "r"], tmp_path, outputs) == ["rings"]


@pytest.mark.parametrize(
    "args",
    [
        ["status", "quickstrat"],
        ["best", "quickstrat", "--store", "{store}"],
        ["compact", "quickstrat", "--store", "{store}"],
        ["analyze", "quickstrat", "--store", "{store}"],
        ["resume", "quickstrat"],
    ],
)
def test_an_unknown_sweep_name_suggests_the_closest_known_one(known, args):
    done = runner.invoke(app, [a.format(store=known) for a in args])
    assert done.exit_code == 2, done.output
    assert "did you mean quickstart?" in done.output
    assert done.output.strip().splitlines()[-1].startswith("error: ")


def test_an_unknown_table_in_a_query_suggests_the_closest_table(known):
    done = runner.invoke(app, ["query", "select count(*) from trails", "--store", known])
    assert done.exit_code == 2
    assert "did you mean trials? (tables: trials, epochs, discovery" in done.output


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["trial", "x.yaml", "--epochs", "4"], "use --set epochs=4"),
        (["sweep", "x.yaml", "--aug-lr=0.05"], "use --set aug_lr=0.05"),
        (["sweep", "x.yaml", "--searcher", "random"], "use --set searcher=random"),
        (["sweep", "x.yaml", "--epoch", "4"], "use --set epochs=4"),
        (["resume", "s", "--checkpoint-seconds", "5"], "use --set checkpoint_seconds=5"),
    ],
)
def test_a_flag_that_is_a_setting_points_to_set(argv, hint, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert f"No such option: {argv[2].partition('=')[0]}" in error and hint in error
    assert error.count("\n") == 1


@pytest.mark.parametrize(
    "argv", [["trial", "x.yaml", "--foo", "1"], ["sweep", "x.yaml", "--num-sample", "2"]]
)
def test_other_unknown_flags_get_no_set_hint(argv, capsys):
    with pytest.raises(SystemExit):
        main(argv)
    assert "--set" not in capsys.readouterr().err
