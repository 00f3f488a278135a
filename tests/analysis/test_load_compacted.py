"""The analysis reader reads a compacted sweep, and one resumed after its compaction, exactly as
it read the sweep's own files."""

from pipeline.analysis import load_table
from pipeline.store import TABLES, compact_sweep, open_store
from tests.store.test_compact import sweep_with_attempts, write_trial


def frames(store):
    found = {}
    for table in TABLES:
        frame = load_table(store, table, "s", files_per_partition=4).compute()
        keys = [
            c
            for c in ("trial_id", "attempt", "epoch", "generator", "magnitude")
            if c in frame.columns
        ]
        found[table] = frame.sort_values(keys).reset_index(drop=True)
    return found


def test_compacted_and_resumed_sweeps_load_the_same_rows(tmp_path):
    store = open_store(str(tmp_path / "store"))
    sweep_with_attempts(store)
    before = frames(store)
    compact_sweep(store, "s")
    after = frames(store)
    for table in TABLES:
        assert after[table].equals(before[table]), table
    write_trial(store, "t0", 2, range(2, 5))  # resumed from epoch 2 after the compaction
    epochs = frames(store)["epochs"]
    t0 = epochs[epochs.trial_id == "t0"]
    assert list(zip(t0.epoch, t0.attempt, strict=True)) == [(1, 1), (2, 2), (3, 2), (4, 2)]
    assert frames(store)["trials"].trial_id.tolist().count("t0") == 1
