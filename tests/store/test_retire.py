"""Setting aside a trial's files: readers stop seeing it, the bytes stay in the store."""

import pytest

from pipeline.store import (
    StoreWriter,
    open_store,
    read_blob,
    read_table,
    remove_blob,
    retire_trials,
    trial_ids_in,
    write_blob,
)


def write_trial(store, sweep, trial_id, epochs):
    writer = StoreWriter(store, sweep, trial_id, 1)
    for epoch in range(1, epochs + 1):
        writer.add("epochs", {"epoch": epoch, "train_loss": 1.0 / epoch})
        writer.flush()
    writer.add("trials", {"status": "completed", "val_metric": 0.5})
    writer.flush()


@pytest.mark.parametrize("url", ["memory://retire", "local"])
def test_retired_trials_leave_the_tables_and_keep_their_bytes(url, tmp_path):
    store = open_store(str(tmp_path / "store") if url == "local" else url)
    write_trial(store, "s", "kept", 2)
    write_trial(store, "s", "gone", 3)
    write_trial(store, "other", "gone", 1)  # same id in another sweep: untouched
    assert trial_ids_in(store, "s") == {"kept", "gone"}

    assert retire_trials(store, "s", {"gone"}) == 3 + 1
    assert trial_ids_in(store, "s") == {"kept"}
    assert set(read_table(store, "trials", "s").column("trial_id").to_pylist()) == {"kept"}
    assert read_table(store, "epochs", "s").num_rows == 2
    assert read_table(store, "epochs", "other").num_rows == 1
    set_aside = store.fs.find(store.path("_superseded"))
    assert len(set_aside) == 4 and all("sweep=s" in p and "gone-a1" in p for p in set_aside)
    assert retire_trials(store, "s", {"gone"}) == 0  # again: nothing left to move


def test_remove_blob_is_quiet_when_there_is_none():
    store = open_store("memory://blobs")
    write_blob(store, "_checkpoints/sweep=s/t.pt", b"state")
    remove_blob(store, "_checkpoints/sweep=s/t.pt")
    remove_blob(store, "_checkpoints/sweep=s/t.pt")
    assert read_blob(store, "_checkpoints/sweep=s/t.pt") is None
