"""What resume and status take from a sweep record, and every way a number enters a sweep: the
record's places are derived or checked here, the command line wins, bounds hold before anything
is saved or started. No Ray starts in these tests: every refusal comes before it."""

import json

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import SymsearchError
from pipeline.store import open_store, read_blob
from pipeline.sweep import SweepRecord

runner = CliRunner()
SPACE = {
    "dataset": {"name": "signals", "length": 16, "n_samples": 120},
    "trial": {"epochs": 1, "batch_size": 32, "eval_samples": 2, "robustness": "none"},
    "search": {"candidate_group": ["trivial", "shift16"]},
    "num_samples": 2,
    "searcher": "optuna",
}


def saved_record(tmp_path, name="r", store=None, **fields) -> SweepRecord:
    record = SweepRecord(
        name=name,
        space=SPACE,
        space_path="",
        store=store or str(tmp_path / "store"),
        storage_path=str(tmp_path / "outputs" / "ray"),
        **fields,
    )
    record.add_segment(2)
    record.save()
    return record


def stored_record(store, name="r") -> dict:
    return json.loads(read_blob(open_store(store), f"_sweeps/{name}/sweep.json"))


def one_line_exit_2(done, *fragments):
    assert done.exit_code == 2, done.output
    assert done.output.strip().count("\n") == 0, done.output
    for fragment in fragments:
        assert fragment in done.output


def test_a_planted_experiment_root_is_refused_before_ray(tmp_path, outputs):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "r").mkdir(parents=True)
    (elsewhere / "r" / "tuner.pkl").write_bytes(b"not for loading")
    record = saved_record(tmp_path)
    record.storage_path = str(elsewhere)
    record.save()
    done = runner.invoke(app, ["resume", "r", "--store", record.store])
    one_line_exit_2(done, "puts Ray's experiments at", str(elsewhere))


def test_an_experiment_name_outside_the_sweep_is_a_damaged_record(tmp_path, outputs):
    record = saved_record(tmp_path)
    record.segments[0].experiment = "../../elsewhere"
    record.save()
    done = runner.invoke(app, ["resume", "r", "--store", record.store])
    one_line_exit_2(done, "damaged sweep record", "not named after the sweep")


def test_status_reports_the_store_the_command_line_names(tmp_path, outputs):
    other = tmp_path / "other"
    record = saved_record(tmp_path, store=str(other))  # saved into other/
    copy = tmp_path / "store"
    copy.joinpath("_sweeps", "r").mkdir(parents=True)
    copy.joinpath("_sweeps", "r", "sweep.json").write_bytes(
        (other / "_sweeps" / "r" / "sweep.json").read_bytes()
    )
    done = runner.invoke(app, ["status", "r", "--store", str(copy)])
    assert done.exit_code == 0, done.output
    assert f"store: {copy}" in done.stdout and f"store: {record.store}" not in done.stdout
    assert "warning: sweep r: its record names the store" in done.stderr


def test_a_record_naming_another_cluster_is_not_joined_on_its_word(tmp_path, outputs, capsys):
    from pipeline.sweep._trust import choose_address

    record = saved_record(tmp_path, address="10.9.8.7:6379")
    assert choose_address(record, None) is None
    assert "not joined on the record's word" in capsys.readouterr().err
    assert choose_address(record, "auto") == "auto"


@pytest.mark.parametrize("value", ["1000000000000000000000", "0", "2000000"])
def test_resume_num_samples_out_of_bounds_changes_nothing(tmp_path, outputs, value):
    record = saved_record(tmp_path)
    before = stored_record(record.store)
    done = runner.invoke(app, ["resume", "r", "--store", record.store, "--num-samples", value])
    assert done.exit_code == 2 and "--num-samples" in done.output, done.output
    assert stored_record(record.store) == before


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"num_samples": 10**30}, "--num-samples: Input should be less than or equal to 1000000"),
        ({"num_samples": 2.5}, "--num-samples: Input should be a valid integer"),
        ({"max_concurrent": 10**21}, "--max-concurrent: Input should be less than or equal"),
        ({"max_concurrent": True}, "--max-concurrent: expected a whole number, got bool"),
        ({"name": 5}, "name: expected str, got int"),
        ({"store": ["x"]}, "store: expected str, got list"),
        ({"address": 1.5}, "address: expected str, got float"),
    ],
)
def test_api_arguments_are_checked_before_anything_starts(tmp_path, outputs, arguments, message):
    import pipeline

    with pytest.raises(SymsearchError) as refused:
        pipeline.sweep(dict(SPACE), **arguments)
    assert message in str(refused.value)
    assert not outputs.exists()


def test_a_record_with_numbers_out_of_bounds_is_damaged(tmp_path, outputs):
    record = saved_record(tmp_path)
    raw = stored_record(record.store)
    raw["max_concurrent"] = 10**21
    (tmp_path / "store" / "_sweeps" / "r" / "sweep.json").write_text(json.dumps(raw))
    done = runner.invoke(app, ["resume", "r", "--store", record.store])
    one_line_exit_2(done, "damaged sweep record (max_concurrent")
    raw["max_concurrent"], raw["space"] = None, {**SPACE, "trial": {"epochs": 10**9}}
    (tmp_path / "store" / "_sweeps" / "r" / "sweep.json").write_text(json.dumps(raw))
    done = runner.invoke(app, ["resume", "r", "--store", record.store])
    one_line_exit_2(done, "damaged sweep record (space: trial.epochs")


def test_an_empty_outputs_variable_means_unset(tmp_path, monkeypatch):
    from pipeline.store import default_store
    from pipeline.sweep._record import outputs_dir, sweep_folder

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", "")
    assert outputs_dir() == tmp_path / "outputs"
    assert sweep_folder("s") == tmp_path / "outputs" / "sweeps" / "s"
    assert default_store() == "outputs/store"


def test_a_study_database_failing_mid_sweep_is_one_line_naming_it():
    from sqlalchemy.exc import OperationalError

    from pipeline.sweep._study import storage_failure

    url = "postgresql://me:secret@db.example:5432/studies"
    try:
        try:
            raise OperationalError("UPDATE trials", {}, Exception("server closed the connection"))
        except OperationalError as cause:
            raise RuntimeError("Tune: searcher on_trial_complete failed") from cause
    except RuntimeError as wrapped:
        failure = storage_failure(wrapped, "s", url)
    message = str(failure)
    assert "study storage postgresql://me:***@db.example:5432/studies failed" in message
    assert "`symsearch resume s`" in message and "secret" not in message and "\n" not in message
    assert storage_failure(ValueError("another bug"), "s", url) is None


def test_a_record_cannot_choose_where_a_sqlite_study_is_created(tmp_path, outputs):
    record = saved_record(tmp_path, study_storage=f"sqlite:///{tmp_path}/anywhere/optuna.db")
    done = runner.invoke(app, ["resume", "r", "--store", record.store])
    one_line_exit_2(done, "puts the study at", "outside this machine's")
    assert not (tmp_path / "anywhere").exists()
