"""One user-error base class, caught once by the CLI; one enum for how trials end."""

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from pipeline import cli
from pipeline.analysis import AnalysisError
from pipeline.data import DatasetError
from pipeline.errors import SymsearchError, TrialStatus
from pipeline.groups import UnknownGroupError
from pipeline.models import ModelConfigError
from pipeline.space import SpaceError
from pipeline.store import QueryError, StoreError
from pipeline.sweep import SweepError

USER_ERRORS = [
    SpaceError,
    DatasetError,
    ModelConfigError,
    StoreError,
    QueryError,
    SweepError,
    AnalysisError,
    UnknownGroupError,
]


@pytest.mark.parametrize("error", USER_ERRORS, ids=lambda e: e.__name__)
def test_every_user_error_derives_from_the_one_base(error):
    assert issubclass(error, SymsearchError)


def test_the_errors_module_imports_no_torch():
    code = "import sys, pipeline.errors; print('torch' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"


def test_any_symsearch_error_is_one_line_and_exit_2(monkeypatch):
    class SomeNewError(SymsearchError):
        pass

    def raise_it(name, store=None):
        raise SomeNewError("status: something the user can fix")

    monkeypatch.setattr("pipeline.sweep.load_record", raise_it)
    result = CliRunner().invoke(cli.app, ["status", "anything"])
    assert result.exit_code == 2
    assert result.output == "error: status: something the user can fix\n"


def test_other_errors_are_bugs_and_keep_their_traceback(monkeypatch):
    def raise_it(name, store=None):
        raise KeyError("a bug")

    monkeypatch.setattr("pipeline.sweep.load_record", raise_it)
    result = CliRunner().invoke(cli.app, ["status", "anything"])
    assert isinstance(result.exception, KeyError)


def test_trial_status_values_are_the_stored_strings():
    assert [s.value for s in TrialStatus] == ["completed", "stopped", "failed"]
    assert TrialStatus.FAILED == "failed" and f"{TrialStatus.STOPPED}" == "stopped"
    assert {"completed": 1}[TrialStatus.COMPLETED] == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["sweep", "x.yaml", "--num-samples", "abc"],
        ["sweep"],
        ["--bogus"],
        ["nosuch"],
        ["query"],
        ["trial", "x", "--set"],
    ],
    ids=[
        "wrong-type",
        "missing-argument",
        "unknown-option",
        "unknown-command",
        "missing-sql",
        "no-value",
    ],
)
def test_usage_errors_are_one_line_and_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as ended:
        cli.main(argv)
    out, err = capsys.readouterr()
    assert ended.value.code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1, err


def test_bare_symsearch_prints_the_help(capsys):
    with pytest.raises(SystemExit) as ended:
        cli.main([])
    assert ended.value.code == 0 and "Usage" in capsys.readouterr().out
