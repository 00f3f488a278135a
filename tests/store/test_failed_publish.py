"""A publish that fails (a full disk) leaves the store as it was: no hidden temporaries."""

import errno
import os

import pytest

from pipeline.store import StoreError, StoreWriter, open_store, write_blob


def full_disk(monkeypatch):
    def refuse(*_):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)


def entries(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_a_failed_table_write_leaves_no_temporary(tmp_path, monkeypatch):
    location = open_store(str(tmp_path / "store"))
    writer = StoreWriter(location, "s", "t1", 1)
    writer.add("trials", {"status": "completed"})
    writer.flush()
    before = entries(tmp_path / "store")
    full_disk(monkeypatch)
    writer.add("epochs", {"epoch": 1})
    with pytest.raises(StoreError, match="No space left"):
        writer.flush()
    assert entries(tmp_path / "store") == before


def test_a_failed_checkpoint_write_leaves_no_temporary(tmp_path, monkeypatch):
    location = open_store(str(tmp_path / "store"))
    write_blob(location, "_checkpoints/sweep=s/t1.pt", b"old state")
    before = entries(tmp_path / "store")
    full_disk(monkeypatch)
    with pytest.raises(StoreError, match="No space left"):
        write_blob(location, "_checkpoints/sweep=s/t1.pt", b"new state")
    assert entries(tmp_path / "store") == before
    assert (tmp_path / "store" / "_checkpoints" / "sweep=s" / "t1.pt").read_bytes() == b"old state"
