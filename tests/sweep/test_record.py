"""Sweep records: names, atomic saves, segments and the budget, lookups by name."""

import pytest

from pipeline.sweep import SweepError, SweepRecord, list_sweeps, load_record
from pipeline.sweep._record import check_name


def make_record(name="s"):
    return SweepRecord(name=name, space={"dataset": {"name": "digits"}}, space_path="x.yaml",
                       store="/tmp/store", storage_path="/tmp/ray")  # fmt: skip


def test_record_round_trips_and_budget_adds_segments(outputs):
    record = make_record()
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


def test_unknown_sweep_names_the_known_ones(outputs):
    make_record("known").save()
    with pytest.raises(SweepError, match=r"no sweep named 'other'.*known"):
        load_record("other")


@pytest.mark.parametrize("name", ["", "a/b", "../up", "x" * 101, "-lead", "sp ace"])
def test_bad_sweep_names_are_refused(name):
    with pytest.raises(SweepError, match="--name"):
        check_name(name)
