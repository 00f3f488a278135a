"""Sweep overhead: a Ray Tune sweep of 8 short trials against the ideal of its trials' own time.

A trial's own seconds are what ``run_trial`` spent on it (``total_seconds`` in the store: building
data and model, training, evaluating), as the trial itself measured inside the sweep; ideal =
their sum / concurrent slots. Everything else (scheduling, actor start-up, per-epoch reports,
checkpoints and store writes) is overhead. Prints the sweep's wall time (``Tuner.fit``, Ray
already started) over the ideal (target <= 1.25), the same with Ray's start-up, and, as a
reference measured side by side, the ideal from running the 8 one after another in this
process (one torch thread each, as each trial gets 1 CPU), where no trial shares the machine.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import yaml

SLOTS = 2
SPACE = {
    "name": "overhead",
    "dataset": {"name": "signals", "length": 32, "transform": "shift", "n_samples": 1500},
    "trial": {"epochs": 40, "robustness": "none", "candidate_group": "shift32"},
    "search": {"seed": [0, 1, 2, 3, 4, 5, 6, 7]},
    "searcher": "grid",
    "scheduler": {"name": "fifo"},
    "max_concurrent": SLOTS,
    "resources": {"cpu": 1},
}


def own_seconds(space_path: Path) -> float:
    """Every configuration in this process, one after another, one thread each."""
    import torch

    from pipeline.space import load_space, trial_config
    from pipeline.trial import run_trial

    torch.set_num_threads(1)  # what each trial of the sweep gets (resources.cpu = 1)
    space = load_space(space_path)
    total = 0.0
    for seed in SPACE["search"]["seed"]:
        started = time.perf_counter()
        run_trial(trial_config(space, {"seed": seed}))
        total += time.perf_counter() - started
    return total


def sweep_seconds(space_path: Path, folder: Path) -> tuple[float, float, float]:
    """(seconds to start Ray, seconds of the sweep itself, the trials' own seconds in it)."""
    import ray

    from pipeline.sweep import SweepOptions, prepare_sweep, start_sweep

    started = time.perf_counter()
    ray.init(address="local", num_cpus=SLOTS, include_dashboard=False, log_to_driver=False)
    ray_seconds = time.perf_counter() - started
    prepared = prepare_sweep(space_path, SweepOptions(name="overhead", store=str(folder / "store")))
    started = time.perf_counter()
    start_sweep(prepared)
    sweep = time.perf_counter() - started
    from pipeline.store import open_store, read_table

    trials = read_table(open_store(str(folder / "store")), "trials", "overhead")
    return ray_seconds, sweep, sum(trials.column("total_seconds").to_pylist())


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        os.environ["SYMSEARCH_OUTPUTS"] = str(folder / "outputs")
        os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
        space_path = folder / "space.yaml"
        space_path.write_text(yaml.safe_dump(SPACE))
        alone = own_seconds(space_path)
        ray_seconds, sweep, own = sweep_seconds(space_path, folder)
    ideal = own / SLOTS
    print(f"trials: {len(SPACE['search']['seed'])} on {SLOTS} slots")
    print(f"trial_own_seconds_in_sweep: {own:.2f}")
    print(f"ideal_seconds: {ideal:.2f}")
    print(f"sweep_seconds: {sweep:.2f}")
    print(f"ray_start_seconds: {ray_seconds:.2f}")
    print(f"sweep_overhead_ratio: {sweep / ideal:.3f} (target <= 1.25)")
    print(f"sweep_overhead_ratio_with_ray_start: {(sweep + ray_seconds) / ideal:.3f}")
    print(f"trial_own_seconds_alone: {alone:.2f} (in this process, one after another)")
    print(
        f"sweep_vs_alone_ideal_ratio: {sweep / (alone / SLOTS):.3f} (includes the slowdown "
        f"of {SLOTS} trials sharing {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
