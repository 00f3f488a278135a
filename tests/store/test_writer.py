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


def test_check_writable_refuses_a_path_under_a_file(tmp_path):
    import pytest

    from pipeline.store import StoreError, check_writable

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot be written"):
        check_writable(open_store(str(blocker / "store")))
    check_writable(open_store(str(tmp_path / "fine")))
    assert [p.name for p in (tmp_path / "fine").iterdir()] == []  # the probe is gone


def test_check_writable_refuses_a_bucket_that_does_not_exist(s3_endpoint):
    import pytest

    from pipeline.store import StoreError, check_writable

    with pytest.raises(StoreError, match="no-such-bucket"):
        check_writable(open_store("s3://no-such-bucket-symsearch/store"))
    check_writable(open_store("s3://symsearch-test/writable"))
