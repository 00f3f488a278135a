"""Attempts: claimed atomically (no two writers share one), and the latest view shows one
attempt's rows per trial (with the epochs a resumed attempt continued from)."""

import multiprocessing
import os

import pytest

from pipeline.store import (
    ATTEMPTS,
    StoreWriter,
    claim_attempt,
    next_attempt,
    open_store,
    read_table,
)

CLAIMERS = 3


def write_epochs(store, attempt, epochs, trial="t1", loss=1.0):
    writer = StoreWriter(store, "s", trial, attempt)
    for epoch in epochs:
        writer.add("epochs", {"epoch": epoch, "train_loss": loss * attempt})
    writer.flush()


def test_a_rerun_interrupted_early_replaces_the_older_attempts_epochs(store_url):
    """Attempt 3 started over and wrote epochs 1-2; attempt 2 had 1-4. Only attempt 3 shows."""
    store = open_store(store_url)
    write_epochs(store, 2, [1, 2, 3, 4])
    write_epochs(store, 3, [1, 2])
    rows = read_table(store, "epochs").to_pylist()
    assert sorted((r["epoch"], r["attempt"]) for r in rows) == [(1, 3), (2, 3)]


def test_a_resumed_attempt_continues_its_predecessors_epochs(store_url):
    """Attempt 2 continued from attempt 1's epoch-3 checkpoint: epochs 1-3 of attempt 1 (not
    its epochs 4-5, which attempt 2 redid), then 4-8 of attempt 2; then attempt 3 continued
    from 6."""
    store = open_store(store_url)
    write_epochs(store, 1, [1, 2, 3, 4, 5])
    write_epochs(store, 2, [4, 5, 6, 7, 8])
    write_epochs(store, 1, [1], trial="t2")
    rows = read_table(store, "epochs", "s").to_pylist()
    t1 = sorted((r["epoch"], r["attempt"]) for r in rows if r["trial_id"] == "t1")
    assert t1 == [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 2), (7, 2), (8, 2)]
    write_epochs(store, 3, [7])
    rows = read_table(store, "epochs", "s").to_pylist()
    t1 = sorted((r["epoch"], r["attempt"]) for r in rows if r["trial_id"] == "t1")
    assert t1 == [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 2), (7, 3)]
    assert [(r["epoch"], r["attempt"]) for r in rows if r["trial_id"] == "t2"] == [(1, 1)]


def test_claims_count_attempts_that_wrote_nothing_yet(store_url):
    store = open_store(store_url)
    assert claim_attempt(store, "s", "t1") == 1
    assert next_attempt(store, "s", "t1") == 2  # claimed, no rows yet: still taken
    write_epochs(store, 2, [1])  # a writer that took attempt 2 without claiming it
    assert claim_attempt(store, "s", "t1") == 3
    assert claim_attempt(store, "s", "t2") == 1
    assert read_table(store, "trials").num_rows == 0  # markers live outside the tables


def _claim(url: str, start, results) -> None:
    start.wait()
    results.put(claim_attempt(open_store(url), "race", "t1"))


@pytest.mark.slow  # fresh interpreters
@pytest.mark.parametrize("backend", ["local", "s3"])
def test_processes_claiming_at_once_never_share_an_attempt(backend, tmp_path, request):
    if backend == "s3":
        request.getfixturevalue("s3_endpoint")
        url = f"s3://symsearch-test/claims-{os.getpid()}-{tmp_path.name}"
    else:
        url = str(tmp_path / "store")
    context = multiprocessing.get_context("spawn")  # a fresh interpreter each, like a CLI run
    start, results = context.Event(), context.Queue()
    workers = [context.Process(target=_claim, args=(url, start, results)) for _ in range(CLAIMERS)]
    for worker in workers:
        worker.start()
    start.set()
    claimed = sorted(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    assert claimed == list(range(1, CLAIMERS + 1))
    markers = open_store(url).fs.ls(open_store(url).path(ATTEMPTS, "sweep=race"))
    assert len(markers) == CLAIMERS
