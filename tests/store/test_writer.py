"""Attempt numbering of the writer, read from the file names already in the store."""

from pipeline.store import StoreWriter, next_attempt, open_store


def test_next_attempt_counts_attempts_that_wrote_only_epochs():
    """A killed attempt that stored epochs but no trials row still takes its number."""
    store = open_store("memory://next-attempt")
    assert next_attempt(store, "s", "t1") == 1
    writer = StoreWriter(store, "s", "t1", 1)
    writer.add("epochs", {"epoch": 1, "train_loss": 0.5})
    writer.flush()
    assert next_attempt(store, "s", "t1") == 2
    assert next_attempt(store, "s", "t10") == 1  # a prefix of another trial's id is not it
    assert next_attempt(store, "other", "t1") == 1
