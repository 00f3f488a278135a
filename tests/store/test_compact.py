"""``compact``: a sweep's small files become a few per table, every reader reads the same rows
before, during and after, and a compaction killed at any step changes nothing read."""

import multiprocessing
import os
import signal

import pytest

from pipeline.store import (
    StoreWriter,
    compact_sweep,
    next_attempt,
    open_store,
    read_table,
    retire_trials,
    run_query,
    trial_ids_in,
)
from pipeline.store._compact import MAX_PARTS
from pipeline.store._schema import TABLES

QUERIES = [
    "select trial_id, attempt, status, val_metric from trials order by all",
    "select trial_id, attempt, epoch, train_loss, widths from epochs order by all",
    "select trial_id, attempt, generator, learned_width from discovery order by all",
    "select trial_id, attempt, shift, magnitude, metric from robustness order by all",
    "select sweep, count(*) n from epochs group by 1 order by 1",
]


def write_trial(store, trial, attempt, epochs, sweep="s", ended=True):
    """One attempt of a trial as a sweep writes it: a file per epoch, then its result rows."""
    writer = StoreWriter(store, sweep, trial, attempt)
    for epoch in epochs:
        writer.add(
            "epochs",
            {"epoch": epoch, "train_loss": 1.0 / epoch + attempt, "widths": [0.1 * epoch, 0.2]},
        )
        writer.flush()
    if ended:
        writer.add("trials", {"status": "completed", "val_metric": 0.5 + attempt / 10})
        writer.add_rows(
            "discovery",
            [{"generator": g, "learned_width": attempt + i} for i, g in enumerate(["rot", "tx"])],
        )
        writer.add_rows(
            "robustness",
            [{"shift": "rot", "magnitude": m, "metric": m * attempt} for m in (0.0, 0.5)],
        )
        writer.flush()


def sweep_with_attempts(store):
    """Trials with one attempt, a resumed one (continued from epoch 3), a re-run from scratch,
    one that never ended, and a second sweep that compaction must leave alone."""
    for number in range(3):
        write_trial(store, f"t{number}", 1, range(1, 4))
    write_trial(store, "resumed", 1, range(1, 6), ended=False)
    write_trial(store, "resumed", 2, range(4, 7))
    write_trial(store, "rerun", 1, range(1, 4))
    write_trial(store, "rerun", 2, range(1, 3))
    write_trial(store, "running", 1, range(1, 3), ended=False)
    write_trial(store, "other", 1, range(1, 3), sweep="other")
    for attempt in (1, 2):  # the sweep's data test, run twice (a rerun after a crash)
        writer = StoreWriter(store, "s", "data-test-0123456789ab", attempt)
        writer.add_rows(
            "data_tests",
            [{"generator": g, "present": attempt == 2, "tv": [0.1]} for g in ("rot", "tx")],
        )
        writer.flush()


def answers(store):
    return [run_query(store, sql)[1] for sql in QUERIES]


def table_files(store, sweep="s"):
    found = {}
    for table in TABLES:
        folder = f"{store.path(table)}/sweep={sweep}"
        found[table] = sorted(store.fs.ls(folder, detail=False)) if store.fs.isdir(folder) else []
    return found


# On the local S3 server the compaction takes seconds (many small requests): the full tier
@pytest.mark.parametrize(
    "store_url", ["local", "memory", pytest.param("s3", marks=pytest.mark.slow)], indirect=True
)
def test_compaction_keeps_every_answer_and_leaves_a_few_files(store_url):
    store = open_store(store_url)
    sweep_with_attempts(store)
    before = answers(store)
    tables_before = {t: read_table(store, t, "s").to_pylist() for t in TABLES}
    report = compact_sweep(store, "s")
    assert answers(store) == before
    for table in TABLES:
        key = lambda row: sorted(row.items(), key=str)  # noqa: E731
        assert sorted(read_table(store, table, "s").to_pylist(), key=key) == sorted(
            tables_before[table], key=key
        ), table
    counts = {t: len(files) for t, files in table_files(store).items()}
    assert all(1 <= n <= MAX_PARTS for n in counts.values()), counts
    assert report.files_before["epochs"] > 20 and report.files_after == counts
    assert len(table_files(store, "other")["epochs"]) == 2  # another sweep is left alone
    assert store.fs.isdir(store.path("_superseded", "epochs", "sweep=s"))  # moved, not deleted
    again = compact_sweep(store, "s")  # already compact: nothing rewritten
    assert again.files_after == counts and answers(store) == before


@pytest.fixture(params=["local", "memory"])
def near_url(request, tmp_path):
    return str(tmp_path / "store") if request.param == "local" else f"memory://c-{tmp_path.name}"


def test_a_compacted_sweep_resumes_and_takes_new_attempts(near_url):
    store = open_store(near_url)
    sweep_with_attempts(store)
    compact_sweep(store, "s")
    assert next_attempt(store, "s", "resumed") == 3  # from the compacted rows alone
    assert trial_ids_in(store, "s") >= {"t0", "resumed", "rerun", "running"}
    write_trial(store, "t0", 2, range(3, 6))  # resumed from epoch 3 after the compaction
    write_trial(store, "new", 1, range(1, 3))
    epochs = run_query(
        store, "select epoch, attempt from epochs where trial_id = 't0' order by epoch"
    )[1]
    assert epochs == [(1, 1), (2, 1), (3, 2), (4, 2), (5, 2)]
    assert run_query(store, "select count(*) from trials where sweep = 's'")[1] == [(6,)]
    before = answers(store)
    compact_sweep(store, "s")  # a second generation folds in the new files
    assert answers(store) == before
    assert all(len(files) <= MAX_PARTS for files in table_files(store).values())


def test_retiring_a_compacted_trial_rewrites_its_file(near_url):
    store = open_store(near_url)
    sweep_with_attempts(store)
    compact_sweep(store, "s")
    assert retire_trials(store, "s", {"running", "t1"}) > 0
    assert "running" not in trial_ids_in(store, "s")
    rows = run_query(store, "select distinct trial_id from epochs where sweep = 's' order by 1")
    assert [r[0] for r in rows[1]] == ["rerun", "resumed", "t0", "t2"]


def _compact_and_die(url: str, steps: int) -> None:
    """In a child: compact, and SIGKILL this process at the given step."""
    seen = []

    def step(_: str) -> None:
        seen.append(1)
        if len(seen) == steps:
            os.kill(os.getpid(), signal.SIGKILL)

    compact_sweep(open_store(url), "s", on_step=step)


@pytest.mark.parametrize("steps", [1, 3, 5, 20, 40])
def test_a_compaction_killed_at_any_step_changes_no_answer(tmp_path, steps):
    """Killed after 1 and 3 new files (some tables compacted, others not), and after the 4 new
    files and 1, 16 or 36 of the 42 old ones were moved; then finished by running it again."""
    url = str(tmp_path / "store")
    store = open_store(url)
    sweep_with_attempts(store)
    before = answers(store)
    child = multiprocessing.get_context("fork").Process(target=_compact_and_die, args=(url, steps))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    assert answers(store) == before
    compact_sweep(store, "s")
    assert answers(store) == before
    assert all(len(files) <= MAX_PARTS for files in table_files(store).values())
