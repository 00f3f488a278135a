"""Sweep records: names, atomic saves, segments and the budget, lookups by name."""

import pytest

from pipeline.sweep import SweepError, SweepRecord, list_sweeps, load_record
from pipeline.sweep._record import check_name


def make_record(name="s", store="/tmp/store"):
    return SweepRecord(
        name=name,
        space={"dataset": {"name": "digits"}},
        space_path="x.yaml",
        store=str(store),
        storage_path="/tmp/ray",
    )


def test_record_round_trips_and_budget_adds_segments(outputs, tmp_path):
    record = make_record(store=tmp_path / "store")
    first = record.add_segment(4)
    second = record.add_segment(3)
    first.finished = True
    record.save()
    loaded = load_record("s")
    assert loaded == record and loaded.budget == 7
    assert [s.experiment for s in loaded.segments] == ["s", "s-part2"]
    assert loaded.experiment_path(second) == "/tmp/ray/s-part2"
    assert loaded.optuna_storage.endswith("/sweeps/s/optuna.db")
    assert list_sweeps() == ["s"]
    assert not list((outputs / "sweeps" / "s").glob("*.tmp"))


def test_the_record_lives_in_the_store_and_loads_from_there_alone(outputs, tmp_path):
    import shutil

    from pipeline.store import open_store, read_table

    store = tmp_path / "store"
    record = make_record(store=store)
    record.add_segment(4)
    record.add_segment(2, carried=2)  # runs what a lost segment left: not new budget
    record.study_storage = "postgresql://u@h/db"
    record.save()
    assert (store / "_sweeps" / "s" / "sweep.json").is_file()
    shutil.rmtree(outputs)
    loaded = load_record("s", str(store))
    assert loaded == record and loaded.budget == 4
    assert loaded.optuna_storage == "postgresql://u@h/db"
    assert read_table(open_store(str(store)), "trials").num_rows == 0  # readers skip _sweeps
    with pytest.raises(SweepError, match=r"no sweep named 'other' in store .*\(sweeps: s\)"):
        load_record("other", str(store))


def test_a_damaged_record_in_the_store_is_one_line(outputs, tmp_path):
    store = tmp_path / "store"
    make_record(store=store).add_segment(1)
    (store / "_sweeps" / "s").mkdir(parents=True)
    (store / "_sweeps" / "s" / "sweep.json").write_text('{"name": "s", "spa')
    with pytest.raises(SweepError, match="damaged sweep record"):
        load_record("s", str(store))


def test_unknown_sweep_names_the_known_ones(outputs, tmp_path):
    make_record("known", tmp_path / "store").save()
    with pytest.raises(SweepError, match=r"no sweep named 'other'.*known"):
        load_record("other")


@pytest.mark.parametrize("name", ["", "a/b", "../up", "x" * 101, "-lead", "sp ace"])
def test_bad_sweep_names_are_refused(name):
    with pytest.raises(SweepError, match="--name"):
        check_name(name)
