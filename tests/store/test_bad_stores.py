"""Bad stores and bad files in them: one ``error:`` line and exit status 2, naming what is wrong;
the rest of the store keeps working and nothing stored is changed or lost."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.store import StoreError, StoreWriter, open_store, read_table, sweeps_in

runner = CliRunner()


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: "), result.output
    assert result.output.strip().count("\n") == 0, result.output
    return result.output


def ends_in_one_error_line(result) -> str:
    """analyze says what it reads before it reads: the error is its last line."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: "), result.output
    return last


def write_trial(store, sweep, trial_id="t1", attempt=1, epochs=(1, 2), value=0.5):
    writer = StoreWriter(open_store(str(store)), sweep, trial_id, attempt)
    for epoch in epochs:
        writer.add("epochs", {"epoch": epoch, "train_loss": 1.0, "val_metric": value})
    writer.add("trials", {"status": "completed", "val_metric": value})
    return writer.flush()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# --- stores that cannot be reached or are not stores ---------------------------------------


def test_query_of_a_missing_store_or_a_plain_file_exits_2(tmp_path):
    missing = one_error_line(
        runner.invoke(app, ["query", "select 1", "--store", str(tmp_path / "typo")])
    )
    assert "does not exist" in missing
    plain = tmp_path / "file.txt"
    plain.write_text("not a store")
    assert "is a file" in one_error_line(
        runner.invoke(app, ["query", "select 1", "--store", str(plain)])
    )
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize("url", ["", "  ", "s3://", "memory://"])
@pytest.mark.parametrize("command", [["query", "select 1"], ["analyze", "s"]])
def test_an_empty_store_url_or_one_without_a_bucket_is_refused(tmp_path, monkeypatch, command, url):
    monkeypatch.chdir(tmp_path)  # an empty URL once meant the default store under outputs/
    line = one_error_line(runner.invoke(app, [*command, "--store", url]))
    assert "--store" in line and not (tmp_path / "outputs").exists()


@pytest.mark.parametrize("command", [["query", "select 1"], ["analyze", "s"]])
def test_an_ftp_store_that_refuses_exits_2(command):
    port = _closed_port()
    started = time.monotonic()
    result = runner.invoke(app, [*command, "--store", f"ftp://127.0.0.1:{port}/store"])
    assert "ftp://127.0.0.1" in one_error_line(result)
    assert time.monotonic() - started < 30


def _closed_port() -> int:
    from tests.conftest import free_port

    return free_port()  # bound once and released: nothing listens there


@pytest.fixture
def fresh_s3fs():
    """s3fs caches clients by their arguments, not the environment these tests change."""
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    yield
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture
def no_aws(monkeypatch, fresh_s3fs):
    """No credentials anywhere botocore looks, and no instance metadata lookup."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")


@pytest.mark.parametrize(
    "command", [["query", "select 1"], ["analyze"], ["set-aside", "trials/sweep=s/x.parquet"]]
)
def test_an_s3_store_without_credentials_exits_2(command, s3_endpoint, no_aws):
    result = runner.invoke(app, [*command, "--store", "s3://symsearch-test/nocreds"])
    assert "s3://symsearch-test/nocreds" in one_error_line(result)


@pytest.mark.slow  # botocore's retries of a refused connection take seconds
def test_an_s3_endpoint_that_does_not_answer_exits_2_in_bounded_time(monkeypatch, fresh_s3fs):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    started = time.monotonic()
    for command in (["query", "select 1"], ["analyze"]):
        result = runner.invoke(app, [*command, "--store", "s3://symsearch-test/unreachable"])
        assert "s3://symsearch-test/unreachable" in one_error_line(result)
    assert time.monotonic() - started < 60


# --- damaged, stray and mistyped files in a table folder ----------------------------------


@pytest.fixture
def two_sweeps(tmp_path, monkeypatch):
    """Sweeps 'good' and 'bad' in one store, each with a sweep record (for status)."""
    from pipeline.sweep import SweepRecord

    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "outputs"))
    store = tmp_path / "store"
    for name in ("good", "bad"):
        write_trial(store, name)
        record = SweepRecord(
            name=name,
            space={"dataset": {"name": "digits"}},
            space_path="x",
            store=str(store),
            storage_path=str(tmp_path / "ray"),
        )
        record.add_segment(1)
        record.save()
    return store


def truncate(store: Path) -> str:
    path = next((store / "trials" / "sweep=bad").glob("*.parquet"))
    path.write_bytes(path.read_bytes()[:40])
    return path.name


def stray(store: Path) -> str:
    (store / "trials" / "sweep=bad" / "NOTES.txt").write_text("my notes")
    return "NOTES.txt"


def mistyped(store: Path) -> str:
    path = store / "trials" / "sweep=bad" / "t9-a1-00001-abcdef12.parquet"
    pq.write_table(pa.table({"trial_id": ["t9"], "attempt": [1], "val_metric": ["high"]}), path)
    return path.name


@pytest.mark.slow  # subprocesses, or torch and dask imports
@pytest.mark.parametrize("damage", [truncate, stray, mistyped])
def test_a_bad_table_file_is_named_and_the_rest_keeps_working(two_sweeps, damage):
    store = two_sweeps
    name = damage(store)
    before = snapshot(store)
    # the views scan lazily: a column of the wrong type is found by the queries that read it
    trials = ["query", "select count(status) n from trials", "--store", str(store)]
    assert f"trials/sweep=bad/{name}" in one_error_line(runner.invoke(app, trials))
    assert "symsearch set-aside" in one_error_line(runner.invoke(app, trials))
    epochs = runner.invoke(
        app, ["query", "select count(*) n from epochs", "--store", str(store), "--format", "json"]
    )
    assert epochs.exit_code == 0 and json.loads(epochs.stdout) == [{"n": 4}]
    good = runner.invoke(app, ["status", "good"])
    assert good.exit_code == 0 and "good" in good.output
    assert name in one_error_line(runner.invoke(app, ["status", "bad"]))
    everything = runner.invoke(app, ["status"])
    assert everything.exit_code == 2 and "good" in everything.stdout
    assert "error: sweep bad: " in everything.stderr and name in everything.stderr
    analyzed = runner.invoke(app, ["analyze", "bad", "--store", str(store)])
    assert name in ends_in_one_error_line(analyzed)
    assert snapshot(store) == before  # nothing read was changed


def test_set_aside_moves_the_bad_file_and_keeps_its_bytes(two_sweeps):
    store = two_sweeps
    name = stray(store)
    relative = f"trials/sweep=bad/{name}"
    moved = runner.invoke(app, ["set-aside", relative, "--store", str(store)])
    assert moved.exit_code == 0, moved.output
    assert (store / "_superseded" / relative).read_text() == "my notes"
    assert not (store / relative).exists()
    counted = runner.invoke(
        app, ["query", "select count(*) n from trials", "--store", str(store), "--format", "json"]
    )
    assert json.loads(counted.stdout) == [{"n": 2}]
    again = one_error_line(runner.invoke(app, ["set-aside", relative, "--store", str(store)]))
    assert "no such file" in again


@pytest.mark.parametrize("path", ["../outside", "trials", "nosuchtable/x", "trials/../../x", ""])
def test_set_aside_takes_only_files_inside_a_table_folder(two_sweeps, path):
    before = snapshot(two_sweeps.parent)
    one_error_line(runner.invoke(app, ["set-aside", path, "--store", str(two_sweeps)]))
    assert snapshot(two_sweeps.parent) == before


def test_readers_name_the_file_for_library_users_too(two_sweeps):
    truncate(two_sweeps)
    location = open_store(str(two_sweeps))
    with pytest.raises(StoreError, match="sweep=bad"):
        read_table(location, "trials")
    assert read_table(location, "trials", "good").num_rows == 1
    assert sweeps_in(location) == ["bad", "good"]


# --- sweep names: one rule everywhere ------------------------------------------------------

BAD_NAMES = [
    "..",
    ".",
    "",
    "a/b",
    "../up",
    "a\nb",
    "name\n",
    "a=b",
    " lead",
    "-lead",
    "x" * 101,
    "tab\there",
    "nul\0",
]


@pytest.mark.slow  # subprocesses, or torch and dask imports
@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_sweep_names_are_refused_by_every_command(tmp_path, monkeypatch, name):
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "outputs"))
    space = tmp_path / "space.yaml"
    space.write_text("dataset: {name: signals, length: 16, n_samples: 60}\n")
    store = str(tmp_path / "store")
    write_trial(store, "real")
    before = snapshot(tmp_path)
    for command in (
        ["trial", str(space), "--name", name, "--store", store],
        ["trial", str(space), "--name", name],
        ["sweep", str(space), "--name", name, "--store", store],
        ["resume", "--", name],
        ["status", "--", name],
        ["analyze", "--store", store, "--", name],
    ):
        if "\0" in name and command[0] in ("resume", "status", "analyze"):
            continue  # an argument cannot hold NUL: the shell never passes one
        output = one_error_line(runner.invoke(app, command))
        assert "sweep name" in output or "--name" in output, (command, output)
    assert snapshot(tmp_path) == before


def test_good_names_still_work(tmp_path):
    from pipeline.store import check_sweep_name

    for name in ("a", "Sweep_1.v2-final", "9lives", "x" * 100):
        assert check_sweep_name(name) == name


# --- query output --------------------------------------------------------------------------


def test_repeated_column_names_keep_both_columns(tmp_path):
    store = tmp_path / "store"
    write_trial(store, "s", attempt=2)
    sql = "select t.attempt, e.attempt, 7 as attempt_1 from trials t join epochs e using (trial_id)"
    result = runner.invoke(app, ["query", sql, "--store", str(store), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0] == {"attempt": 2, "attempt_2": 2, "attempt_1": 7}
    table = runner.invoke(app, ["query", "select 2 as a, 3 as a", "--store", str(store)])
    assert table.stdout.splitlines()[0].split() == ["a", "a_1"]
    assert table.stdout.splitlines()[2].split() == ["2", "3"]


def test_json_writes_null_for_nan_and_infinity(tmp_path):
    store = tmp_path / "store"
    write_trial(store, "s", value=float("nan"))
    sql = (
        "select val_metric, 'Infinity'::double inf, '-inf'::double ninf, "
        "['nan'::double, 1.5] l from trials"
    )
    result = runner.invoke(app, ["query", sql, "--store", str(store), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"{c} in JSON")) == [
        {"val_metric": None, "inf": None, "ninf": None, "l": [None, 1.5]}
    ]


@pytest.mark.slow  # subprocesses, or torch and dask imports
def test_ctrl_c_during_a_query_exits_130_without_a_traceback(tmp_path):
    store = tmp_path / "store"
    write_trial(store, "s")
    sql = "select count(*) from range(1000000000000) t(i) where i % 7 = 3"
    command = [sys.executable, "-m", "pipeline.cli", "query", sql, "--store", str(store)]
    scratch = tmp_path / "tmp"  # where the query makes its private temporary folder
    scratch.mkdir()
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    deadline = time.monotonic() + 60
    while not list(scratch.glob("symsearch-query-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # DuckDB at work
    assert child.poll() is None
    started = time.monotonic()
    child.send_signal(2)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 130, err
    assert "Traceback" not in err and err.strip() == "interrupted"
    assert time.monotonic() - started < 10


def test_outputs_variable_moves_the_default_store(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "elsewhere"))
    monkeypatch.chdir(tmp_path)
    assert open_store().root == str(tmp_path / "elsewhere" / "store")
    write_trial(tmp_path / "elsewhere" / "store", "s")
    result = runner.invoke(app, ["query", "select count(*) n from trials", "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == [{"n": 1}]
    assert not (tmp_path / "outputs").exists()
    monkeypatch.delenv("SYMSEARCH_OUTPUTS")
    assert open_store().url == "outputs/store"
    assert os.environ.get("SYMSEARCH_OUTPUTS") is None


@pytest.mark.slow  # torch and the space's dataset
@pytest.mark.parametrize("command", ["trial", "sweep"])
def test_trial_and_sweep_into_s3_without_credentials_exit_2(
    command, tmp_path, monkeypatch, s3_endpoint, no_aws
):
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "outputs"))
    space = tmp_path / "space.yaml"
    space.write_text(
        "dataset: {name: signals, length: 16, n_samples: 60}\n"
        "trial: {epochs: 1}\nsearch: {candidate_group: [shift16]}\n"
    )
    result = runner.invoke(app, [command, str(space), "--store", "s3://symsearch-test/nocreds"])
    output = ends_in_one_error_line(result)
    assert "s3://symsearch-test/nocreds" in output and "credentials" in output
    assert "epoch" not in result.output and not (tmp_path / "outputs").exists()
