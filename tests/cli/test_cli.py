"""The command line: contract commands, the catalog listing, clean errors, lazy imports."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.groups.test_catalog import REQUIRED

CONTRACT = [
    "groups",
    "datasets",
    "detect",
    "trial",
    "sweep",
    "resume",
    "status",
    "best",
    "query",
    "analyze",
]
runner = CliRunner()


def test_help_lists_every_contract_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in CONTRACT:
        assert command in result.output


def test_groups_lists_the_catalog():
    result = runner.invoke(app, ["groups"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.splitlines()[2:] if line.strip()}
    assert set(REQUIRED) <= listed


def test_groups_json_has_kind_order_and_data_kinds():
    result = runner.invoke(app, ["groups", "--json", "D4", "SO2*flip"])
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == ["D4", "SO2*flip"]
    assert rows[0]["order"] == 8 and rows[0]["kind"] == "finite"
    assert rows[1]["kind"] == "product" and rows[1]["acts_on"] == "image"


def test_describing_a_group_lists_its_generators():
    result = runner.invoke(app, ["groups", "affine2"])
    assert result.exit_code == 0
    for generator in ["tx", "ty", "rot", "scale", "stretch", "shear"]:
        assert generator in result.output


def test_unknown_group_exits_2_with_one_line():
    result = runner.invoke(app, ["groups", "SO(2)"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "did you mean SO2" in result.output


def test_importing_the_cli_leaves_heavy_libraries_unloaded():
    code = (
        "import sys, pipeline.cli; "
        "heavy = ('torch', 'ray', 'dask', 'duckdb', 'matplotlib', 'plotly', 'pyarrow'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_console_script_runs():
    out = subprocess.run(["symsearch", "groups", "--json", "C4"], capture_output=True, text=True)
    assert out.returncode == 0 and json.loads(out.stdout)[0]["order"] == 4


def test_huge_orders_print_compactly():
    result = runner.invoke(app, ["groups", "S100"])
    assert result.exit_code == 0 and "~1e157" in result.output


def test_datasets_lists_every_builtin_with_its_true_groups():
    result = runner.invoke(app, ["datasets"])
    assert result.exit_code == 0
    rows = [line.split() for line in result.output.splitlines()[2:] if line.strip()]
    listed = {
        (row[0], group)
        for row in rows
        for group in row
        if "*" in group or group in ("trivial", "SO2", "C4", "T2", "scale", "O2", "shift32")
    }
    names = {name for name, _ in listed}
    assert names == {"digits", "pointclouds", "signals", "twobody", "ising"}
    for expected in [
        ("digits", "trivial"),
        ("digits", "SO2"),
        ("pointclouds", "SO2*S32"),
        ("signals", "shift32"),
        ("twobody", "O2"),
        ("ising", "T2*D4*flip"),
    ]:
        assert expected in listed


def test_datasets_builds_one_and_summarizes_it():
    result = runner.invoke(app, ["datasets", "signals", "--set", "length=16", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "shift16" in result.output and "600/200/200" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["datasets", "--factory", "tests.data.nowhere:make"], "cannot import"),
        (["datasets", "--factory", "tests.data.custom_factory:returns_a_list"], "returned list"),
        (["datasets", "digits", "--set", "transform=SO3"], "digits.transform must be one of"),
        (["datasets", "digits", "--set", "oops"], "--set expects key=value"),
    ],
)
def test_datasets_bad_input_exits_2_with_one_line(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output and result.output.strip().count("\n") == 0


TINY_SPACE = """
dataset: {name: signals, length: 16, n_samples: 120}
trial: {epochs: 2, batch_size: 32, eval_samples: 2}
search:
  candidate_group: [shift16, trivial]
  reg: {distribution: loguniform, low: 0.01, high: 0.1}
"""


def test_trial_runs_one_configuration_and_prints_json(tmp_path):
    space = tmp_path / "tiny.yaml"
    space.write_text(TINY_SPACE)
    result = runner.invoke(app, ["trial", str(space), "--set", "seed=3", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["trial"]["candidate_group"] == "shift16" and payload["trial"]["seed"] == 3
    assert "epoch   2/2" in result.stderr  # progress goes to stderr


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (TINY_SPACE + "colour: red\n", [], "colour: unknown key (known: name,"),
        (TINY_SPACE, ["--set", "candidate_group=SO(2)"], "candidate_group: unknown group"),
        (TINY_SPACE, ["--set", "epochs=many"], "epochs: Input should be a valid integer"),
        (TINY_SPACE, ["--set", "dataset.lenght=3"], "unknown option 'lenght'"),
        (TINY_SPACE.replace("signals", "signalz"), [], "unknown dataset 'signalz'"),
        (None, [], "no such search space file"),
    ],
)
def test_trial_bad_input_exits_2_naming_the_field(tmp_path, content, args, message):
    space = tmp_path / "space.yaml"
    if content is not None:
        space.write_text(content)
    result = runner.invoke(app, ["trial", str(space), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and result.output.strip().count("\n") == 0


@pytest.fixture
def stored_trial(tmp_path):
    space = tmp_path / "tiny.yaml"
    space.write_text(TINY_SPACE)
    store = str(tmp_path / "store")
    for _ in range(2):  # the same configuration twice: attempts 1 and 2 of one trial
        result = runner.invoke(app, ["trial", str(space), "--store", store, "--name", "q"])
        assert result.exit_code == 0, result.output
    return store


def test_query_counts_a_stored_trial_once(stored_trial):
    result = runner.invoke(
        app,
        [
            "query",
            "select count(*) as n, max(attempt) as a from trials",
            "--store",
            stored_trial,
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"n": 1, "a": 2}]
    epochs = runner.invoke(
        app, ["query", "select count(*) from epochs", "--store", stored_trial, "--format", "csv"]
    )
    assert epochs.stdout.strip().splitlines()[1] == "2"


@pytest.mark.parametrize(
    "sql",
    [
        "copy trials to '{out}/leak.csv'",
        "attach '{out}/other.db'",
        "install httpfs",
        "set threads = 1",
        "select * from read_csv('/etc/passwd')",
        "create table x as select 1",
        "select * from read_parquet('{out}/trials/*/*.parquet')",
        "select 1; select 2",
    ],
)
def test_query_refuses_anything_but_reading_the_store(stored_trial, tmp_path, sql):
    before = sorted(p for p in tmp_path.rglob("*"))
    result = runner.invoke(app, ["query", sql.format(out=tmp_path), "--store", stored_trial])
    assert result.exit_code == 2 and result.output.startswith("error:")
    assert result.output.strip().count("\n") == 0
    assert sorted(p for p in tmp_path.rglob("*")) == before  # nothing written anywhere


def test_trial_into_an_unwritable_store_exits_2_before_training(tmp_path):
    space = tmp_path / "tiny.yaml"
    space.write_text(TINY_SPACE)
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    result = runner.invoke(app, ["trial", str(space), "--store", str(blocked / "store")])
    assert result.exit_code == 2 and "cannot be written" in result.output
    assert "epoch" not in result.output


def test_status_reads_records_without_torch_or_ray(tmp_path, monkeypatch):
    """status only reads sweep records and the store: it must not pay torch's import."""
    from pipeline.sweep import SweepRecord

    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "outputs"))
    record = SweepRecord(
        name="s",
        space={"dataset": {"name": "digits"}},
        space_path="x.yaml",
        store=str(tmp_path / "store"),
        storage_path=str(tmp_path / "ray"),
    )
    record.add_segment(4)
    record.save()
    code = (
        "import sys; from typer.testing import CliRunner; from pipeline.cli import app; "
        "result = CliRunner().invoke(app, ['status', 's']); assert 'store' in result.output; "
        "print(result.exit_code, sorted(m for m in ('torch', 'ray') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0 []"


def test_groups_prints_orders_too_long_to_write_out():
    """S4096's order has 13,020 digits, more than Python writes in decimal."""
    table = runner.invoke(app, ["groups", "S4096"])
    assert table.exit_code == 0, table.output
    assert "~1e13019" in table.output
    listed = runner.invoke(app, ["groups", "S4096", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout)[0]["order"] == "~1e13019"


@pytest.fixture
def report_folder(tmp_path):
    folder = tmp_path / "report"
    folder.mkdir()
    (folder / "report.md").write_text("an earlier report")
    return folder


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("", "--out: an empty path"),
        ("{tmp}/file.txt", "is a file"),
        ("{tmp}/file.txt/below", "cannot be written"),
        ("{tmp}/report", "already holds a report; --overwrite replaces it"),
    ],
)
def test_analyze_checks_out_before_any_work(tmp_path, report_folder, out, message):
    (tmp_path / "file.txt").write_text("kept")
    result = runner.invoke(
        app, ["analyze", "s", "--store", str(tmp_path / "store"), "--out", out.format(tmp=tmp_path)]
    )
    assert result.exit_code == 2 and result.output.startswith("error: ")
    assert message in result.output and result.output.strip().count("\n") == 0
    assert (tmp_path / "file.txt").read_text() == "kept"
    assert (report_folder / "report.md").read_text() == "an earlier report"


def test_analyze_overwrite_lets_a_report_folder_be_reused(tmp_path, report_folder):
    (tmp_path / "store").mkdir()
    result = runner.invoke(
        app,
        ["analyze", "--store", str(tmp_path / "store"), "--out", str(report_folder), "--overwrite"],
    )
    assert result.exit_code == 2 and "holds no sweep yet" in result.output  # got past --out


def test_analyze_of_a_store_that_does_not_exist_is_one_line_before_any_progress(tmp_path):
    result = runner.invoke(app, ["analyze", "any", "--store", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert result.output.splitlines() == [f"error: store {tmp_path / 'nowhere'} does not exist"]


def test_analyze_into_a_read_only_folder_exits_2(tmp_path):
    import os
    import shutil
    import stat

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    prefix = []
    if os.geteuid() == 0:  # root ignores permissions unless it drops CAP_DAC_OVERRIDE
        if shutil.which("setpriv") is None:
            pytest.skip("root without setpriv")
        dropped = "-dac_override,-dac_read_search"
        prefix = ["setpriv", "--bounding-set", dropped, "--inh-caps", dropped, "--"]
    try:
        done = subprocess.run(
            [
                *prefix,
                sys.executable,
                "-m",
                "pipeline.cli",
                "analyze",
                "s",
                "--out",
                str(locked / "out"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        locked.chmod(stat.S_IRWXU)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: --out") and "cannot be written" in done.stderr
    assert done.stderr.strip().count("\n") == 0 and not (locked / "out").exists()


def test_query_refuses_explain_analyze_of_a_write(tmp_path, monkeypatch):
    from pipeline.store import StoreWriter, open_store

    stored_trial = str(tmp_path / "store")
    writer = StoreWriter(open_store(stored_trial), "s", "t1", 1)
    writer.add("trials", {"status": "completed"})
    writer.flush()
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".tmp").mkdir()
    secret = tmp_path / ".tmp" / "secret.csv"
    secret.write_text("secret,1\n")
    for sql in (
        "EXPLAIN ANALYZE COPY (select 'x') TO '.tmp/secret.csv'",
        "select * from read_csv('.tmp/secret.csv')",
    ):
        result = runner.invoke(app, ["query", sql, "--store", stored_trial])
        assert result.exit_code == 2 and result.output.startswith("error: refused")
        assert "secret,1" not in result.output
    assert secret.read_text() == "secret,1\n"


def test_version_prints_one_line():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip().count("\n") == 0
    import pipeline

    assert result.output.strip() == f"symsearch {pipeline.__version__}"


def test_shell_completion_is_offered():
    result = runner.invoke(app, ["--help"])
    assert "--install-completion" in result.output and "--show-completion" in result.output


def test_every_option_of_every_command_has_help_text():
    import typer.main

    group = typer.main.get_command(app)
    missing = [
        f"{name} {param.name}"
        for name, command in group.commands.items()
        for param in command.params
        if not getattr(param, "help", None)
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (TINY_SPACE + "num_sample: 3\n", [], "num_sample: unknown key; did you mean num_samples?"),
        (TINY_SPACE.replace("reg:", "rge:"), [], "unknown parameter 'rge'; did you mean reg?"),
        (TINY_SPACE, ["--set", "epoch=2"], "--set epoch: unknown parameter; did you mean epochs?"),
        (TINY_SPACE, ["--set", "model.hiden=2"], "did you mean hidden?"),
    ],
)
def test_misspelled_keys_get_a_suggestion(tmp_path, content, args, message):
    space = tmp_path / "space.yaml"
    space.write_text(content)
    result = runner.invoke(app, ["trial", str(space), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and result.output.strip().count("\n") == 0


@pytest.mark.parametrize("args", [["--set", "num_sample=2"], ["--set", "epochs"]])
def test_sweep_set_mistakes_exit_2_before_ray(tmp_path, args):
    space = tmp_path / "space.yaml"
    space.write_text(TINY_SPACE)
    result = runner.invoke(app, ["sweep", str(space), "--store", str(tmp_path / "s"), *args])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and result.output.strip().count("\n") == 0
    assert not (tmp_path / "s").exists()
