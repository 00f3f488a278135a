"""Analysis at scale: Dask against single-threaded pandas and DuckDB on the same Parquet files.

Builds synthetic stores in the store's own layout (one file per trial attempt, 1000 epochs per
trial, 5% of trials resumed: a second attempt re-writes their second half) of 1,000,000 and
10,000,000 epoch rows, then times the same computation three ways, each reading the same files:
the latest attempt of every (trial, epoch), then per trial the epochs trained, the best
validation metric and the seconds spent.

- Dask: ``pipeline.analysis.load_table`` (latest attempt without a shuffle) and a group-by, on
  the threaded scheduler (all cores);
- pandas: every file read with pyarrow on one thread, deduplicated and grouped in one process;
- DuckDB: one SQL statement over ``read_parquet`` (its own threads).

Prints each time and the ratios dask/pandas (target at 10M rows: <= 1.0) and dask/duckdb.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

EPOCHS = 1000
RESUMED_SHARE = 0.05
SIZES = [1_000_000, 10_000_000]


def write_store(root: Path, rows: int, seed: int = 0) -> int:
    """Synthetic epochs files of sweep 'bench'; returns how many files it wrote."""
    folder = root / "epochs" / "sweep=bench"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    trials, files = rows // EPOCHS, 0
    for number in range(trials):
        trial_id = f"t{number:06d}"
        resumed = rng.random() < RESUMED_SHARE
        spans = [(1, 1, EPOCHS)] + ([(2, EPOCHS // 2, EPOCHS)] if resumed else [])
        for attempt, first, last in spans:
            epochs = np.arange(first, last + 1)
            table = pa.table(
                {
                    "trial_id": pa.array([trial_id] * len(epochs)),
                    "attempt": pa.array(np.full(len(epochs), attempt)),
                    "epoch": pa.array(epochs),
                    "train_loss": pa.array(rng.random(len(epochs))),
                    "val_metric": pa.array(rng.random(len(epochs))),
                    "seconds": pa.array(rng.random(len(epochs))),
                }
            )
            pq.write_table(table, folder / f"{trial_id}-a{attempt}-00001-0000abcd.parquet")
            files += 1
    return files


def with_dask(root: Path) -> object:
    import dask

    from pipeline.analysis import load_table
    from pipeline.store import open_store

    epochs = load_table(open_store(str(root)), "epochs", "bench", columns=["val_metric", "seconds"])
    per_trial = epochs.groupby("trial_id").agg(
        epochs=("epoch", "count"), best=("val_metric", "max"), seconds=("seconds", "sum")
    )
    with dask.config.set(scheduler="threads"):
        return dask.compute(per_trial)[0]


def with_pandas(root: Path) -> object:
    import pandas as pd

    columns = ["trial_id", "attempt", "epoch", "val_metric", "seconds"]
    paths = sorted((root / "epochs" / "sweep=bench").glob("*.parquet"))
    frames = [pq.read_table(p, columns=columns, use_threads=False).to_pandas() for p in paths]
    frame = pd.concat(frames, ignore_index=True)
    frame = frame.sort_values("attempt", kind="stable").drop_duplicates(
        ["trial_id", "epoch"], keep="last"
    )
    return frame.groupby("trial_id").agg(
        epochs=("epoch", "count"), best=("val_metric", "max"), seconds=("seconds", "sum")
    )


def with_duckdb(root: Path) -> object:
    import duckdb

    return duckdb.sql(f"""
        select trial_id, count(*) as epochs, max(val_metric) as best, sum(seconds) as seconds
        from (select * from read_parquet('{root}/epochs/*/*.parquet', hive_partitioning = true)
              qualify attempt = max(attempt) over (partition by trial_id, epoch))
        group by trial_id""").df()


def timed(function, root: Path) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(root)
    return time.perf_counter() - started, result


def main() -> None:
    base = Path(os.environ.get("BENCH_DIR", tempfile.gettempdir()))
    for rows in SIZES:
        with tempfile.TemporaryDirectory(dir=base) as folder:
            root = Path(folder)
            started = time.perf_counter()
            files = write_store(root, rows)
            print(
                f"store_{rows}: {files} files written in {time.perf_counter() - started:.1f}s",
                flush=True,
            )
            dask_s, dask_result = timed(with_dask, root)
            pandas_s, pandas_result = timed(with_pandas, root)
            duck_s, duck_result = timed(with_duckdb, root)
            agree = (
                len(dask_result) == len(pandas_result) == len(duck_result)
                and int(dask_result["epochs"].sum())
                == int(pandas_result["epochs"].sum())
                == int(duck_result["epochs"].sum())
                == rows
            )
            print(f"rows_{rows}_dask_seconds: {dask_s:.2f}")
            print(f"rows_{rows}_pandas_seconds: {pandas_s:.2f}")
            print(f"rows_{rows}_duckdb_seconds: {duck_s:.2f}")
            print(
                f"rows_{rows}_dask_over_pandas: {dask_s / pandas_s:.3f}"
                + (" (target <= 1.0)" if rows == SIZES[-1] else "")
            )
            print(f"rows_{rows}_dask_over_duckdb: {dask_s / duck_s:.3f}")
            print(f"rows_{rows}_results_agree: {agree}", flush=True)
            if not agree:
                sys.exit(1)


if __name__ == "__main__":
    main()
