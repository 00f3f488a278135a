"""Search efficiency: Optuna (TPE) + ASHA against random search + FIFO on digits_rotation.

Both run ``search_spaces/digits_rotation.yaml`` (candidates trivial, C4, SO2, affine2; prior,
init_width, reg, lr and aug_lr searched) on a reduced setup that fits this machine: the first
LIMIT digits, EPOCHS epochs, no robustness grid, TRIALS trials of 1 CPU, 2 at a time, on one local
Ray. A figure is the trial-epochs spent, in the order trials ended, until the best completed
trial so far discovered correctly (``discovery_correct``: its candidate found exactly the part of
SO2 it can express, so C4 counts when it found C4) and its validation accuracy is within 1 point
of the best either method reached. Each repeat seeds both searchers alike (``searcher_seed``); the
script prints each repeat's two figures, their ratio (target <= 1/3; paired: with one seed TPE's
start-up suggestions are random search's) and the median ratio. A method that never gets there in
its budget prints ``not reached``, and its ratio is a bound. Random search's trials are
exchangeable, so the script also prints its figure averaged over random orders of its trials,
free of the luck of the order that ran.

    python bench/search_efficiency.py [--repeats R] [--trials N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
LIMIT, EPOCHS, TRIALS, REPEATS, SLOTS = 600, 12, 12, 3, 2
WITHIN = 0.01  # one point of accuracy
METHODS = {
    # the defaults: TPE, ASHA with rungs at 3 and 9 epochs where a third goes on
    "optuna_asha": {"searcher": "optuna", "scheduler": {"name": "asha"}},
    "random_fifo": {"searcher": "random", "scheduler": {"name": "fifo"}},
}  # fmt: skip


def reduced_space(method: str, seed: int, trials: int) -> dict[str, Any]:
    """digits_rotation.yaml with the reduced setup and the method's searcher and scheduler."""
    space = yaml.safe_load((ROOT / "search_spaces" / "digits_rotation.yaml").read_text())
    space["dataset"]["limit"] = LIMIT
    space["trial"] = {**space.get("trial", {}), "epochs": EPOCHS, "robustness": "none"}
    return {**space, **METHODS[method], "name": f"{method}_{seed}", "num_samples": trials,
            "searcher_seed": seed, "max_concurrent": SLOTS, "resources": {"cpu": 1},
            "checkpoint_seconds": 60}  # fmt: skip


def run_sweep(space: dict[str, Any], folder: Path) -> float:
    """Run one sweep into folder/store; its wall seconds."""
    from pipeline.sweep import prepare_sweep, start_sweep

    path = folder / f"{space['name']}.yaml"
    path.write_text(yaml.safe_dump(space))
    prepared = prepare_sweep(path, space["name"], str(folder / "store"), None, None, None, False)
    started = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):  # the live view (stderr): figures only here
        start_sweep(prepared)
    return time.perf_counter() - started


def ended_trials(folder: Path, sweep: str) -> Any:
    """The sweep's trials in the order they ended, with the epochs each one trained."""
    from pipeline.store import open_store, read_table

    store = open_store(str(folder / "store"))
    trials = read_table(store, "trials", sweep).to_pandas()
    epochs = read_table(store, "epochs", sweep).to_pandas().groupby("trial_id")["epoch"].nunique()
    trials["trained_epochs"] = trials["trial_id"].map(epochs).fillna(0).astype(int)
    return trials.sort_values(["finished_at", "trial_id"]).reset_index(drop=True)


def epochs_until_found(trials: Any, reference: float) -> int | None:
    """Trial-epochs spent until the best completed trial so far is ``discovery_correct`` and
    within WITHIN of reference; None when that never happened."""
    spent, best = 0, None
    for row in trials.itertuples():
        spent += row.trained_epochs
        if row.status == "completed" and (best is None or row.val_metric > best.val_metric):
            best = row
        if best is not None and best.discovery_correct and best.val_metric >= reference - WITHIN:
            return spent
    return None


def expected_over_orders(trials: Any, reference: float, orders: int = 2000) -> float | None:
    """Random search's trials are exchangeable: the mean of ``epochs_until_found`` over random
    orders of the same trials (Dodge et al. 2019's expected validation performance, in epochs)
    removes the luck of the one order that ran. None when the whole set never gets there."""
    if epochs_until_found(trials, reference) is None:
        return None  # the end state is the same in every order
    rng = np.random.default_rng(0)
    found = [epochs_until_found(trials.iloc[rng.permutation(len(trials))], reference)
             for _ in range(orders)]  # fmt: skip
    return float(np.mean(found))


def compare(folder: Path, seed: int, trials: int) -> float | None:
    """One repeat: both methods with searcher_seed = seed; prints and returns the ratio."""
    ended = {}
    for method in METHODS:
        seconds = run_sweep(reduced_space(method, seed, trials), folder)
        ended[method] = ended_trials(folder, f"{method}_{seed}")
        print(f"{method}_{seed}_sweep_seconds: {seconds:.1f}", flush=True)
    completed = [t.loc[t["status"] == "completed", "val_metric"] for t in ended.values()]
    reference = max(float(c.max()) for c in completed if len(c))
    found = {method: epochs_until_found(table, reference) for method, table in ended.items()}
    for method, table in ended.items():
        shown = found[method] if found[method] is not None else "not reached"
        print(f"{method}_{seed}_trial_epochs_to_best: {shown} "
              f"(of {table['trained_epochs'].sum()} spent)")  # fmt: skip
    expected = expected_over_orders(ended["random_fifo"], reference)
    shown = "not reached" if expected is None else f"{expected:.1f}"
    print(f"random_fifo_{seed}_expected_trial_epochs_to_best: {shown} (mean over orders)")
    return _ratio(found["optuna_asha"], found["random_fifo"],
                  int(ended["random_fifo"]["trained_epochs"].sum()), seed, reference)  # fmt: skip


def _ratio(ours: int | None, theirs: int | None, their_budget: int, seed: int,
           reference: float) -> float | None:  # fmt: skip
    """Paired: with one searcher_seed, TPE's start-up suggestions are random search's, so the
    ratio compares the two on the same first configurations."""
    if ours is None:
        print(f"efficiency_ratio_{seed}: not reached by optuna_asha (best val {reference:.3f})")
        return None
    bound = "<=" if theirs is None else ""  # random never got there: its whole budget is a floor
    ratio = ours / (theirs if theirs is not None else their_budget)
    print(f"efficiency_ratio_{seed}: {bound}{ratio:.3f} (target <= 0.333; best val "
          f"{reference:.3f})")  # fmt: skip
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=REPEATS, help="searcher seeds 0..R-1")
    parser.add_argument("--trials", type=int, default=TRIALS, help="trials per sweep")
    args = parser.parse_args()
    import ray

    with tempfile.TemporaryDirectory() as folder:
        os.environ["SYMSEARCH_OUTPUTS"] = str(Path(folder) / "outputs")
        os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
        ray.init(address="local", num_cpus=SLOTS, include_dashboard=False, log_to_driver=False)
        print(f"setup: digits_rotation, {LIMIT} digits, {EPOCHS} epochs, {args.trials} trials "
              f"per sweep, {SLOTS} at a time")  # fmt: skip
        ratios = [compare(Path(folder), seed, args.trials) for seed in range(args.repeats)]
        ray.shutdown()
    reached = [r for r in ratios if r is not None]
    if reached:
        print(f"efficiency_ratio_median: {statistics.median(reached):.3f} over {len(reached)} "
              f"of {len(ratios)} repeats (target <= 0.333)")  # fmt: skip


if __name__ == "__main__":
    main()
