"""Trials per hour on one CUDA device at ``resources.gpu`` 1, 0.5 and 0.25 (and a CUDA smoke run).

Ray's fractional ``resources.gpu`` is bookkeeping: with gpu f, Tune places round(1/f) trial
actors on the device at once, each a process with its own CUDA context. This bench does the
same without Ray or a cluster: per fraction it runs that many trial processes side by side over
one queue of quickstart-sized trials (``run_trial`` on the quickstart space, its defaults,
``device: cuda``, seeds 0..N-1) and prints trials per hour, the speed-up over gpu 1 measured in
the same run, and each trial's peak GPU memory (``torch.cuda.max_memory_allocated``, PyTorch's
own tensors; each process also holds a CUDA context of a few hundred MB).

``--smoke`` first runs one short trial per built-in search space on CUDA (device placement of
data, model, augmentation, averaging, SymPE and the data test) and prints which ones pass.

Without CUDA it says so and exits 0.
Run: ``python bench/gpu_packing.py [--trials 12] [--epochs 20] [--fractions 1 0.5 0.25] [--smoke]``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def quickstart_config(seed: int, epochs: int, device: str = "cuda") -> dict:
    from pipeline.space import load_space, trial_config

    space = load_space(ROOT / "search_spaces" / "quickstart.yaml")
    overrides = {"seed": seed, "epochs": epochs, "device": device, "candidate_group": "SO2"}
    return trial_config(space, overrides).model_dump()


def _worker(queue, results, epochs: int, device: str) -> None:
    import torch

    from pipeline.trial import run_trial

    while True:
        seed = queue.get()
        if seed is None:
            return
        on_cuda = device.startswith("cuda")
        if on_cuda:
            torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        result = run_trial(quickstart_config(seed, epochs, device))
        results.put(
            {
                "seed": seed,
                "seconds": time.perf_counter() - started,
                "peak_mb": torch.cuda.max_memory_allocated() / 2**20 if on_cuda else 0.0,
                "status": result.trial["status"],
                "val_metric": result.trial.get("val_metric"),
            }
        )


def run_packed(fraction: float, trials: int, epochs: int, device: str = "cuda") -> dict:
    """Wall time of ``trials`` trials with round(1/fraction) of them on the device at once."""
    context = mp.get_context("spawn")  # CUDA cannot be forked
    queue, results = context.Queue(), context.Queue()
    workers = max(1, round(1 / fraction))
    for seed in range(trials):
        queue.put(seed)
    for _ in range(workers):
        queue.put(None)
    started = time.perf_counter()
    processes = [
        context.Process(target=_worker, args=(queue, results, epochs, device))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    rows = [results.get(timeout=3600) for _ in range(trials)]
    for process in processes:
        process.join()
    wall = time.perf_counter() - started
    return {
        "fraction": fraction,
        "concurrent": workers,
        "wall": wall,
        "per_hour": trials / wall * 3600,
        "rows": rows,
    }


def smoke(epochs: int = 1) -> int:
    """One short CUDA trial per built-in space (its defaults); returns the number that failed."""
    from pipeline.space import load_space, trial_config
    from pipeline.trial import run_trial

    failed = 0
    for path in sorted((ROOT / "search_spaces").glob("*.yaml")):
        overrides = {"epochs": epochs, "device": "cuda", "eval_samples": 2, "val_samples": 2}
        for discovery in ("widths", "test"):
            try:
                config = trial_config(load_space(path), {**overrides, "discovery": discovery})
                row = run_trial(config).trial
                ok = row["status"] == "completed"
                detail = row.get("error") or f"val {row.get('val_metric')}"
            except Exception as error:  # report every path's failure, then go on
                ok, detail = False, f"{type(error).__name__}: {str(error)[:200]}"
            failed += not ok
            print(
                f"smoke {path.stem:16s} discovery={discovery:6s} "
                f"{'ok' if ok else 'FAILED'} {detail}",
                flush=True,
            )
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--fractions", type=float, nargs="*", default=[1.0, 0.5, 0.25])
    parser.add_argument("--smoke", action="store_true", help="first a CUDA run of every space")
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("gpu_packing: no CUDA device here; nothing measured (run it on a GPU machine)")
        return
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}", flush=True)
    if args.smoke and smoke():
        print("smoke: some spaces FAILED on CUDA (above)", flush=True)
    baseline = None
    for fraction in args.fractions:
        run = run_packed(fraction, args.trials, args.epochs)
        baseline = baseline or run["per_hour"]
        peaks = [row["peak_mb"] for row in run["rows"]]
        bad = [row for row in run["rows"] if row["status"] != "completed"]
        print(
            f"gpu {fraction:<5} concurrent {run['concurrent']}: {run['per_hour']:8.0f} "
            f"trials/h  x{run['per_hour'] / baseline:.2f} vs gpu {args.fractions[0]}  "
            f"peak {max(peaks):.0f} MB per trial  "
            f"mean trial {sum(r['seconds'] for r in run['rows']) / len(peaks):.1f} s  "
            f"failed {len(bad)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
