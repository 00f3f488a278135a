"""Every trials row says which code, libraries and hardware made it; older stores still read."""

import platform
import subprocess

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import pipeline
from pipeline._util.provenance import PROVENANCE_COLUMNS, device_name, git_commit, provenance
from pipeline.store import SCHEMA_VERSION, SCHEMAS, StoreWriter, open_store, read_table


def test_provenance_fills_every_new_trials_column():
    found = provenance("cpu")
    assert tuple(found) == PROVENANCE_COLUMNS and set(found) <= set(SCHEMAS["trials"].names)
    assert found["symsearch_version"] == pipeline.__version__
    assert found["python_version"] == platform.python_version()
    assert found["torch_version"] and found["host"] == platform.node()
    assert found["device_name"] == device_name("cpu") != ""


def test_git_commit_of_a_work_tree_and_none_elsewhere(tmp_path):
    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        pytest.skip("git is not installed")
    plain = tmp_path / "plain"
    plain.mkdir()
    assert git_commit(str(plain)) is None
    repo = tmp_path / "repo"
    repo.mkdir()
    env = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    for command in (["init", "-q"], [*env, "commit", "-q", "--allow-empty", "-m", "x"]):
        subprocess.run(["git", *command], cwd=repo, check=True, capture_output=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert git_commit(str(repo)) == head and provenance(commit=head)["git_commit"] == head


def test_a_store_written_before_the_provenance_columns_still_reads(tmp_path):
    """A trials file of schema version 2 (no provenance columns) beside a new one."""
    location = open_store(str(tmp_path / "store"))
    old_schema = pa.schema([f for f in SCHEMAS["trials"] if f.name not in PROVENANCE_COLUMNS])
    row = {
        "trial_id": "old",
        "attempt": 1,
        "status": "completed",
        "val_metric": 0.5,
        "schema_version": 2,
    }
    old = pa.Table.from_pylist([row], schema=old_schema)
    folder = tmp_path / "store" / "trials" / "sweep=s"
    folder.mkdir(parents=True)
    pq.write_table(old, folder / "old-a1-0-0123456789ab.parquet")
    writer = StoreWriter(location, "s", "new", 1)
    writer.add("trials", {"status": "completed", "val_metric": 0.7, **provenance()})
    writer.flush()
    rows = {r["trial_id"]: r for r in read_table(location, "trials", "s").to_pylist()}
    assert set(rows) == {"old", "new"}
    assert all(rows["old"][column] is None for column in PROVENANCE_COLUMNS)
    assert rows["new"]["torch_version"] and rows["new"]["schema_version"] == SCHEMA_VERSION


def test_every_trials_row_carries_provenance():
    """trial_row builds the rows of trials, of sweeps' stopped and failed trials too."""
    from pipeline.space import make_config
    from pipeline.trial import trial_row

    row = trial_row(make_config({}), {}, "completed", None, 0, None, 0.0, "cpu")
    assert {column: row[column] for column in PROVENANCE_COLUMNS} == provenance("cpu")
