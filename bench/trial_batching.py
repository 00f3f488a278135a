"""Trials trained as one batched model (``batch_trials``) against the same trials trained alone.

On the CPU: K configurations of one data kind (default 8 point-cloud trials, seeds and learning
rates differing) are trained one after another with ``run_trial`` (one trial per worker, the
worker being this process: same threads, same kernels), then together with ``run_trials``,
deterministic kernels, same seeds, same run. Prints ``max_abs_diff`` (the largest difference
of any epoch's training loss, validation metric and widths, or the test metric, batched vs
alone), the wall seconds of both, ``cpu_throughput_ratio`` (configurations per hour, batched
over alone; on a CPU the batched trainer runs each member's network pass by itself over the
stacked parameters; ``cpu_time_ratio``: the same in this process's CPU seconds, which other
work on a shared machine disturbs less), the same with the vectorized pass (``cpu_vmap_ratio``,
``forward="vmap"``) and with it under ``torch.compile``, compile time included and again with
the graphs compiled already (a failure is one line). AMP (bf16 autocast) applies on CUDA only.
Ray's own cost per trial is left out on both sides.

With CUDA (else it says it skipped them): ``gpu_throughput_ratio_K`` for K = 1, 4, 16, 64
against one trial at a time on the GPU, each with its peak GPU memory, and K = 16 with AMP and
with ``torch.compile``.

Trials read their discovery from the widths and skip the robustness grid: a sweep runs the
data test once per candidate before its trials, and evaluation is each trial's own either way.
Run: ``python bench/trial_batching.py [--kind points] [--members 8] [--epochs 2] [--repeats 5]
[--tiny]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KINDS = {
    "points": {
        "dataset": {"name": "pointclouds", "dim": 2, "transform": "rotate", "n_samples": 300},
        "candidate_group": "SO2",
    },
    "image": {
        "dataset": {"name": "digits", "transform": "SO2", "limit": 300},
        "model": {"channels": [8, 16], "hidden": 32},
        "candidate_group": "SO2",
    },
    "sequence": {
        "dataset": {"name": "signals", "length": 32, "transform": "shift", "n_samples": 300},
        "candidate_group": "shift32",
    },
}
TINY = {"n_samples": 60, "limit": 60}  # the test's size: seconds, not minutes
GPU_SIZES = (1, 4, 16, 64)


def configs(kind: str, members: int, epochs: int, device: str = "cpu", tiny: bool = False):
    """``members`` configurations of one kind: seeds 0.., learning rates spread over 10x."""
    base = dict(KINDS[kind])
    if tiny:
        dataset = dict(base["dataset"])
        for key in TINY:
            if key in dataset:
                dataset[key] = TINY[key]
        base["dataset"] = dataset
    base.update(
        epochs=epochs,
        device=device,
        discovery="widths",
        robustness="none",
        eval_samples=2,
        val_samples=2,
        aug_warmup=1,
    )
    return [
        {**base, "seed": s, "lr": 0.001 * 10 ** (s / max(1, members - 1))} for s in range(members)
    ]


def figures(result: Any) -> list[float]:
    values = []
    for row in result.epochs:
        values += [row["train_loss"], row["val_metric"], *row["widths"]]
    values.append(result.trial["test_metric"])
    return [float(v) for v in values]


def max_abs_diff(alone: list, batched: list) -> float:
    worst = 0.0
    for a, b in zip(alone, batched, strict=True):
        fa, fb = figures(a), figures(b)
        if len(fa) != len(fb):
            return float("inf")
        worst = max([worst, *(abs(x - y) for x, y in zip(fa, fb, strict=True))])
    return worst


def timed(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - started


def measure_cpu(
    kind: str,
    members: int,
    epochs: int,
    repeats: int = 5,
    tiny: bool = False,
    compile_too: bool = True,
) -> dict[str, Any]:
    """Alone, batched (``BatchOptions()``: on a CPU each member's network runs its own pass
    over the stacked parameters) and batched with the vectorized pass (``forward="vmap"``) on
    the CPU, in a rotating order, ``repeats`` times (the fastest of each: other work on the
    machine only slows a run down); then batched under torch.compile once. Results compared
    from the first repeat."""
    import torch

    from pipeline.trial import BatchOptions, run_trial, run_trials

    chosen = configs(kind, members, epochs, tiny=tiny)
    run_trial({**chosen[0], "epochs": 1})  # warm caches and lazy imports for both sides
    runs = {
        "alone": lambda: [run_trial(c) for c in chosen],
        "batched": lambda: run_trials(chosen),
        "vmap": lambda: run_trials(chosen, options=BatchOptions(forward="vmap")),
    }
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}  # this process's CPU seconds
    results: dict[str, list] = {}
    torch.use_deterministic_algorithms(True)
    try:
        for repeat in range(repeats):
            names = list(runs)
            for name in names[repeat % 3 :] + names[: repeat % 3]:
                used = time.process_time()
                found, took = timed(runs[name])
                cpu[name].append(time.process_time() - used)
                results.setdefault(name, found)
                seconds[name].append(took)
    finally:
        torch.use_deterministic_algorithms(False)
    fastest = {name: min(values) for name, values in seconds.items()}
    found = {
        "max_abs_diff": max_abs_diff(results["alone"], results["batched"]),
        "alone_seconds": fastest["alone"],
        "batched_seconds": fastest["batched"],
        "cpu_throughput_ratio": fastest["alone"] / fastest["batched"],
        "cpu_time_ratio": min(cpu["alone"]) / min(cpu["batched"]),
        "vmap_seconds": fastest["vmap"],
        "vmap_ratio": fastest["alone"] / fastest["vmap"],
        "vmap_diff": max_abs_diff(results["alone"], results["vmap"]),
    }
    alone_seconds = fastest["alone"]
    if not compile_too:
        return found
    try:
        compiled, took = timed(run_trials, chosen, options=BatchOptions(compile=True))
        found["compile_ratio"] = alone_seconds / took
        found["compile_diff"] = max_abs_diff(results["alone"], compiled)
        _, took = timed(run_trials, chosen, options=BatchOptions(compile=True))  # cached graphs
        found["compile_ratio_warm"] = alone_seconds / took
    except Exception as error:  # an environment without a working compiler: say so, go on
        found["compile_error"] = f"{type(error).__name__}: {str(error).strip().splitlines()[0]}"
    return found


def measure_gpu(kind: str, epochs: int) -> list[str]:
    """Lines of the CUDA figures: batched K against one trial at a time on the GPU."""
    import torch

    from pipeline.trial import BatchOptions, run_trial, run_trials

    lines = [f"gpu_device: {torch.cuda.get_device_name(0)}"]
    alone_configs = configs(kind, 4, epochs, device="cuda")
    run_trial({**alone_configs[0], "epochs": 1})
    _, seconds = timed(lambda: [run_trial(c) for c in alone_configs])
    alone_rate = len(alone_configs) / seconds
    lines.append(f"gpu_alone_configs_per_hour: {alone_rate * 3600:.0f}")
    runs = [(k, BatchOptions(), f"gpu_throughput_ratio_{k}") for k in GPU_SIZES]
    runs += [(16, BatchOptions(amp=True), "gpu_amp_ratio_16")]
    runs += [(16, BatchOptions(compile=True), "gpu_compile_ratio_16")]
    for k, options, name in runs:
        torch.cuda.reset_peak_memory_stats()
        try:
            _, seconds = timed(run_trials, configs(kind, k, epochs, "cuda"), options=options)
        except Exception as error:
            lines.append(f"{name}: failed: {type(error).__name__}: {str(error).splitlines()[0]}")
            continue
        peak = torch.cuda.max_memory_allocated() / 2**20
        lines.append(f"{name}: {k / seconds / alone_rate:.2f} (peak_memory_mb: {peak:.0f})")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=sorted(KINDS), default="points")
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5, help="each way, order rotated")
    parser.add_argument("--tiny", action="store_true", help="a few seconds (the test's size)")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    args = parser.parse_args(argv)
    import torch

    print(f"device: cpu ({torch.get_num_threads()} threads), torch {torch.__version__}")
    print(f"kind: {args.kind}, members: {args.members}, epochs: {args.epochs}", flush=True)
    cpu = measure_cpu(
        args.kind, args.members, args.epochs, args.repeats, args.tiny, not args.no_compile
    )
    print(f"max_abs_diff: {cpu['max_abs_diff']:.3g}")
    print(f"alone_seconds: {cpu['alone_seconds']:.2f} (fastest of {args.repeats})")
    print(f"batched_seconds: {cpu['batched_seconds']:.2f} (fastest of {args.repeats})")
    print(f"cpu_throughput_ratio: {cpu['cpu_throughput_ratio']:.2f}")
    print(f"cpu_time_ratio: {cpu['cpu_time_ratio']:.2f} (the same in this process's CPU seconds)")
    print(f"cpu_vmap_seconds: {cpu['vmap_seconds']:.2f} (fastest of {args.repeats})")
    print(f"cpu_vmap_ratio: {cpu['vmap_ratio']:.2f} (the vectorized pass on this CPU)")
    print(f"cpu_vmap_max_abs_diff: {cpu['vmap_diff']:.3g}")
    if args.no_compile:
        print("cpu_compile: skipped (--no-compile)")
    elif "compile_error" in cpu:
        print(f"cpu_compile: failed in this environment: {cpu['compile_error']}")
    else:
        print(f"cpu_compile_ratio: {cpu['compile_ratio']:.2f} (compile time included)")
        print(f"cpu_compile_ratio_warm: {cpu['compile_ratio_warm']:.2f} (graphs compiled already)")
        print(f"cpu_compile_max_abs_diff: {cpu['compile_diff']:.3g}")
    print("cpu_amp: skipped (bf16 autocast applies on CUDA only)", flush=True)
    if not torch.cuda.is_available():
        print("gpu: skipped (no CUDA device here)")
        return
    for line in measure_gpu(args.kind, args.epochs):
        print(line, flush=True)


if __name__ == "__main__":
    main()
