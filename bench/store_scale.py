"""The store at scale: a sweep of 10,000 trials x 50 epochs, before and after ``compact``.

Generates the sweep through the store's own writer (``StoreWriter``, one file per epoch as a
sweep writes them, then each trial's trials, discovery and robustness rows; 2% of the trials
resumed: a first attempt killed past half-way, a second continuing from its middle epoch) in
``--jobs`` processes, with a sweep record in the store. The writer's fsync is skipped while
generating (bench data need not survive a power cut; everything else is the writer's path).
Generation takes about 2.5 ms per file and process on an idle core: some 10 minutes for the
full 510,000 files on 2 cores; ``--trials N`` makes a smaller sweep.

Then, before and after ``symsearch compact``, each as the user runs it (a fresh process):
``status NAME``, a ``query`` aggregate over ``epochs`` (with its peak memory and CPU seconds,
which a busy host disturbs less than wall time), the same aggregate by DuckDB reading the files
directly (no latest-attempt rule), ``analyze NAME``, and
in-process ``resume``'s reconciliation of the store when the Ray experiment is lost
(``replace_lost_experiments``: every trial id in the store, the ended ones from ``trials``).
Prints one ``name: value`` line per figure and the ratios side by side; targets after
compaction at 10k x 50: status <= 2 s, query <= 2 s and <= 500 MB, analyze <= 60 s, <= 10 files
per table; before compaction query <= 1.5 x DuckDB direct.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import subprocess
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

SWEEP = "scale"
AGGREGATE = "select epoch, avg(val_metric), avg(train_loss), count(*) from {epochs} group by 1"
CANDIDATES = {"trivial": [], "SO2": ["rot"], "affine2": ["tx", "ty", "rot"]}
RESUMED_EVERY = 50  # 2% of the trials have two attempts


def write_trials(job: tuple[str, list[int], int]) -> int:
    """One worker's trials; returns how many files it wrote."""
    import random

    os.fsync = lambda _: None  # bench data need not survive a power cut (see the docstring)
    from pipeline.store import StoreWriter, open_store

    root, numbers, epochs = job
    store, files = open_store(root), 0
    for number in numbers:
        rng = random.Random(number)
        candidate = list(CANDIDATES)[number % len(CANDIDATES)]
        trial_id = f"{number:08x}_{number:05d}"
        spans = [(1, epochs, 1)]
        if number % RESUMED_EVERY == 7:
            middle = max(1, epochs // 2)
            spans = [(1, min(epochs, middle + 2), 1), (middle, epochs, 2)]
        for first, last, attempt in spans:
            writer = StoreWriter(store, SWEEP, trial_id, attempt)
            for epoch in range(first, last + 1):
                writer.add(
                    "epochs",
                    {
                        "epoch": epoch,
                        "train_loss": 1 / epoch,
                        "val_metric": rng.uniform(0.1, 0.9),
                        "seconds": 0.5,
                        "widths": [0.3] * len(CANDIDATES[candidate]),
                        "normalized_widths": [0.3] * len(CANDIDATES[candidate]),
                    },
                )
                files += len(writer.flush())
        _result_rows(writer, rng, candidate, number, epochs)
        files += len(writer.flush())
    return files


def _result_rows(writer, rng, candidate: str, number: int, epochs: int) -> None:
    val = rng.uniform(0.5, 0.99)
    writer.add(
        "trials",
        {
            "status": "completed",
            "dataset": "digits",
            "true_group": "SO2",
            "candidate_group": candidate,
            "prior": "uniform",
            "init_width": 0.3,
            "reg": 0.1,
            "tolerance": [None, 0.1, 0.5][number % 3],
            "symmetry_breaking": "none",
            "lr": 0.003,
            "seed": number,
            "epochs": epochs,
            "metric_name": "accuracy",
            "metric_mode": "max",
            "val_metric": val,
            "test_metric": val - 0.01,
            "n_samples": 8,
            "equivariance_error": rng.uniform(0, 1),
            "eval_seconds": 1.0,
            "discovered_group": rng.choice(["SO2", "trivial"]),
            "discovery_correct": True,
            "finished_at": "2026-01-01T00:00:00+00:00",
            "config_json": "{}",
        },
    )
    for generator in CANDIDATES[candidate]:
        width = rng.uniform(0, 2)
        writer.add(
            "discovery",
            {
                "generator": generator,
                "learned_width": width * math.pi,
                "normalized_width": width,
                "active": width >= 0.5,
                "true_active": generator == "rot",
            },
        )
    for magnitude in range(0, 181, 30):
        for averaged in (False, True):
            writer.add(
                "robustness",
                {
                    "shift": "rot",
                    "magnitude": float(magnitude),
                    "unit": "degrees",
                    "source": "true_group",
                    "averaged": averaged,
                    "metric": rng.uniform(0.2, 0.95),
                    "in_support": magnitude <= 45,
                },
            )


def generate(root: str, trials: int, epochs: int, jobs: int) -> int:
    chunks = [(root, list(range(j, trials, jobs)), epochs) for j in range(jobs)]
    with get_context("spawn").Pool(jobs) as pool:
        files = sum(pool.map(write_trials, chunks))
    from pipeline.sweep import SweepRecord

    record = SweepRecord(
        name=SWEEP,
        space={"dataset": {"name": "digits"}, "mode": "max"},
        space_path="bench",
        store=root,
        storage_path=f"{root}-ray",
    )
    record.add_segment(trials)
    record.save()
    return files


# A small launcher: a child forked from this (large) process would report its parent's memory
LAUNCH = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "used = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(used.ru_maxrss, used.ru_utime + used.ru_stime, file=sys.stderr); "
    "sys.exit(code)"
)
CPU: dict[str, float] = {}  # CPU seconds of the last run: steadier than wall time on a busy host


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak memory in MB) of one process; fails loudly if it fails."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", LAUNCH, *command],
        env=env,
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])}... failed: {done.stderr.strip()[-500:]}")
    peak, cpu = done.stderr.strip().splitlines()[-1].split()
    CPU["last"] = float(cpu)
    return elapsed, int(peak) / 1024


def file_counts(root: str) -> dict[str, int]:
    from pipeline.store import TABLES

    counts = {}
    for table in TABLES:
        folder = Path(root) / table / f"sweep={SWEEP}"
        counts[table] = sum(1 for _ in os.scandir(folder)) if folder.is_dir() else 0
    return counts


def reconcile(root: str) -> float:
    """resume's reconciliation when the experiment is lost: the store alone decides."""
    from pipeline.store import open_store
    from pipeline.sweep._reconcile import replace_lost_experiments
    from pipeline.sweep._record import load_record

    record = load_record(SWEEP, store=root)
    started = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):
        replace_lost_experiments(record, open_store(root))
    return time.perf_counter() - started


class Figures(dict):
    """Figures printed as they come (a long run shows its progress)."""

    def __init__(self, when: str) -> None:
        super().__init__()
        self.when = when

    def __setitem__(self, name: str, value: float) -> None:
        super().__setitem__(name, value)
        print(f"  {self.when} {name}: {value:.2f}", flush=True)


def measure(root: str, out: str, env: dict[str, str], analyze: bool, when: str) -> dict[str, float]:
    cli = [sys.executable, "-m", "pipeline.cli"]
    figures = Figures(when)
    figures["cli_startup_s"], _ = run([*cli, "--help"], env)  # in every CLI figure below
    figures["status_s"], _ = run([*cli, "status", SWEEP, "--store", root], env)
    sql = AGGREGATE.format(epochs="epochs")
    figures["query_s"], figures["query_peak_mb"] = run([*cli, "query", sql, "--store", root], env)
    figures["query_cpu_s"] = CPU["last"]
    direct = AGGREGATE.format(
        epochs=f"read_parquet('{root}/epochs/*/*.parquet', hive_partitioning = true)"
    )
    script = f"import duckdb; duckdb.sql({direct!r}).fetchall()"
    figures["duckdb_direct_s"], figures["duckdb_peak_mb"] = run([sys.executable, "-c", script], env)
    figures["duckdb_direct_cpu_s"] = CPU["last"]
    figures["query_over_duckdb"] = figures["query_s"] / figures["duckdb_direct_s"]
    figures["query_over_duckdb_cpu"] = figures["query_cpu_s"] / figures["duckdb_direct_cpu_s"]
    if analyze:
        figures["analyze_s"], _ = run(
            [*cli, "analyze", SWEEP, "--store", root, "--out", out, "--overwrite"], env
        )
    figures["reconcile_s"] = reconcile(root)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2, help="processes that generate")
    parser.add_argument(
        "--no-analyze-before",
        action="store_true",
        help="skip analyze before compaction (minutes at full size)",
    )
    parser.add_argument("--work", help="folder of the store (reused when it holds one)")
    parser.add_argument("--generate-only", action="store_true")
    arguments = parser.parse_args()
    work = Path(arguments.work or tempfile.mkdtemp(prefix="symsearch-store-scale-"))
    root = str(work / "store")
    env = {
        **os.environ,
        "SYMSEARCH_OUTPUTS": str(work / "outputs"),
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
        ),
    }
    os.environ["SYMSEARCH_OUTPUTS"] = env["SYMSEARCH_OUTPUTS"]
    print(f"store: {root}\ntrials: {arguments.trials}\nepochs: {arguments.epochs}", flush=True)
    if not (work / "store" / "_sweeps").is_dir():
        started = time.perf_counter()
        files = generate(root, arguments.trials, arguments.epochs, arguments.jobs)
        print(
            f"generated_files: {files}\ngenerate_s: {time.perf_counter() - started:.1f}", flush=True
        )
    if arguments.generate_only:
        return
    counts_before = file_counts(root)
    before = measure(root, str(work / "analysis"), env, not arguments.no_analyze_before, "before")
    compact_s, _ = run(
        [sys.executable, "-m", "pipeline.cli", "compact", SWEEP, "--store", root], env
    )
    print(f"compact_s: {compact_s:.2f}", flush=True)
    after = measure(root, str(work / "analysis"), env, True, "after")
    counts_after = file_counts(root)
    for table, count in counts_before.items():
        print(f"files_{table}: {count} -> {counts_after[table]}")
    for name in after:
        was = before.get(name)
        ratio = f"  (after/before {after[name] / was:.3f})" if was else ""
        shown = f"{was:.2f}" if was is not None else "-"
        print(f"{name}: before {shown}  after {after[name]:.2f}{ratio}")


if __name__ == "__main__":
    main()
