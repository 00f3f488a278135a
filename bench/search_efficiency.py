"""Search efficiency: trial-epochs until a search finds the right symmetry with a near-best model,
each strategy against random search + FIFO, on digits_rotation (images, true group SO2) and
signals (sequences, true group shift32).

What is real and what is replayed. Every trial is a real ``run_trial`` of a real configuration:
``bench/_trial_table.py`` runs each point of the bench space once (the real spaces' candidate
groups; reg, lr and aug_lr each on 5 levels, the middles of 5 equal-probability bins of the real
distribution, so that random search on the grid is random search on the real space, coarsened;
the first 900 digits; 16 epochs; seed 0) plus the discovery strategy's probe, and caches per
(config, seed) its validation metric after every epoch and its end (``bench/tables/*.jsonl``;
missing rows are run). The searchers and
schedulers are the sweep's own objects (``pipeline.sweep._strategy.build_searcher`` and
``scheduler_for``: Ray's OptunaSearch over an in-memory Optuna study, the discovery searcher,
Ray's ASHA/FIFO): they are driven here as Tune drives them (suggest; a result per epoch,
``on_trial_result``, scheduler decisions; ``on_trial_complete`` for stopped and ended trials),
with 2 trials at a time advancing one epoch per step, but instead of training, each epoch's
result is read from the table. Simulated, therefore: time (a step is one epoch of every running
trial) and the trial seed (one per configuration). The data test's seconds are not epochs and
are not counted; the probe's epoch is.

The figure: trial-epochs spent (by all trials, stopped ones included) until the first trial
ends that is *correct* (its discovered group is the true group) and *near-best* (its validation
accuracy within WITHIN of the best correct trial of the table). The ratio strategy / random is
paired by ``searcher_seed`` (repeats: seeds 0..R-1); a search that never gets there in its
budget counts the whole budget, trials x epochs, as if no trial had been stopped (a bound; the
count of searches that got there is printed). Per space and strategy: the median ratio and
a bootstrap 90% confidence interval of the median.

The line ``SPACE median_ratio: ...`` is the default strategy's; ``SPACE STRATEGY median_ratio``
lines are the alternatives the defaults were chosen against. The cached tables make a run take
under a minute; ``--full`` first builds tables of the real spaces (all digits, their epochs):
462 full trials, hours on 2 cores, under an hour on 16 (``--workers``).

    python bench/search_efficiency.py [--repeats R] [--trials N] [--full] [--workers W]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _trial_table import REDUCED, bench_space, build_tables, key_of

REPEATS, TRIALS, SLOTS, WITHIN = 20, 24, 2, 0.03
TRUE_GROUP = {"digits_rotation": "SO2", "signals": "shift32"}
BASELINE = {"searcher": "random", "scheduler": {"name": "fifo"}}
STRATEGIES = {  # the default first: its figures decide the acceptance line
    "default": {},  # discover + ASHA, grace aug_warmup (3), reduction 2
    "discover_fifo": {"searcher": "discover", "scheduler": {"name": "fifo"}},
    "discover_grace6": {"searcher": "discover", "scheduler": {"name": "asha", "grace_period": 6}},
    "discover_grace12": {"searcher": "discover", "scheduler": {"name": "asha", "grace_period": 12}},
    "discover_rf3": {"searcher": "discover", "scheduler": {"name": "asha", "reduction_factor": 3}},
    "discover_rf4": {"searcher": "discover", "scheduler": {"name": "asha", "reduction_factor": 4}},
    "discover_hyperband": {"searcher": "discover", "scheduler": {"name": "asha", "brackets": 3}},
    "discover_startup1": {"searcher": "discover", "startup_trials": 1},
    "discover_startup3": {"searcher": "discover", "startup_trials": 3},
    "issue10_default": {
        "searcher": "optuna",
        "startup_trials": 10,
        "scheduler": {"name": "asha", "grace_period": 3, "reduction_factor": 3},
    },
    "optuna": {"searcher": "optuna"},
    "optuna_asha": {"searcher": "optuna", "scheduler": {"name": "asha"}},
    "optuna_asha_grace3": {"searcher": "optuna", "scheduler": {"name": "asha", "grace_period": 3}},
}


class _Trial:  # what Ray's schedulers read of a trial
    def __init__(self, trial_id: str) -> None:
        self.trial_id = trial_id


def make_space(name: str, full: bool, method: dict[str, Any], seed: int, trials: int) -> Any:
    from pipeline.space import SearchSpace

    values = {**bench_space(name, full), **method, "searcher_seed": seed, "num_samples": trials}
    return SearchSpace.model_validate(values)


def searched_key(suggested: dict[str, Any]) -> str:
    return key_of({k: v for k, v in suggested.items()})


def replay(
    space: Any, table: dict[str, dict[str, Any]], truth: str, target: float, seed: int
) -> tuple[int, bool]:
    """Drive the space's real searcher and scheduler over the table; (epochs spent, found)."""
    from ray.tune.schedulers import TrialScheduler

    from pipeline.sweep._strategy import build_searcher, scheduler_for

    np.random.seed(seed)  # ASHA draws a bracket per trial from numpy's global generator
    searcher = build_searcher(space, "max", f"bench_{seed}", None)
    scheduler = scheduler_for(space, "max")
    running: dict[str, list[Any]] = {}  # id -> [row, epochs trained]
    started = spent = 0
    while started < space.num_samples or running:
        while len(running) < SLOTS and started < space.num_samples:
            trial_id = f"t{started:03d}"
            suggested = searcher.suggest(trial_id)
            if suggested is None:
                break  # the searcher waits (the probe has not ended)
            running[trial_id] = [table[searched_key(suggested)], 0]
            scheduler.on_trial_add(None, _Trial(trial_id))
            started += 1
        if not running:
            break
        for trial_id in list(running):
            row, done = running[trial_id]
            done = running[trial_id][1] = done + 1
            spent += 1
            result = {"epoch": done, "val_metric": row["curve"][done - 1]}
            if done == len(row["curve"]):  # ended: the evaluation comes with the last epoch
                result.update(
                    discovered_group=row["discovered_group"],
                    discovery_correct=row["discovery_correct"],
                    trial_status=row["status"],
                )
                scheduler.on_trial_complete(None, _Trial(trial_id), result)
                searcher.on_trial_complete(trial_id, result)
                del running[trial_id]
                if correct(row, truth) and row["val_metric"] >= target - WITHIN:
                    return spent, True
                continue
            action = scheduler.on_trial_result(None, _Trial(trial_id), result)
            searcher.on_trial_result(trial_id, result)
            if action == TrialScheduler.STOP:
                scheduler.on_trial_remove(None, _Trial(trial_id))
                searcher.on_trial_complete(trial_id, result)
                del running[trial_id]
    # never got there: the whole budget, as if every trial ran out (a search that stops every
    # trial early and finds nothing must not look cheap)
    return space.num_samples * trial_epochs(table), False


def correct(row: dict[str, Any], truth: str) -> bool:
    return (
        row["status"] == "completed"
        and row["discovered_group"] == truth
        and "discovery" not in row["point"]
    )


def trial_epochs(table: dict[str, dict[str, Any]]) -> int:
    """The epochs of a trial run to its end."""
    return max(len(r["curve"]) for r in table.values())


def first_win_epochs(table: dict[str, dict[str, Any]]) -> int:
    """The fewest trial-epochs any probing search can spend: the probe, then a winning trial
    run to its end beside SLOTS - 1 others that started with it (one epoch behind in a step)."""
    epochs = trial_epochs(table)
    return 1 + epochs + (SLOTS - 1) * (epochs - 1)


def best_correct(table: dict[str, dict[str, Any]], truth: str) -> float:
    return max(r["val_metric"] for r in table.values() if correct(r, truth))


def bootstrap_median(ratios: list[float], draws: int = 10_000) -> tuple[float, float, float]:
    """The median and a 90% percentile-bootstrap interval of it."""
    rng = np.random.default_rng(0)
    values = np.asarray(ratios)
    medians = np.median(rng.choice(values, size=(draws, len(values))), axis=1)
    return float(np.median(values)), *map(float, np.quantile(medians, [0.05, 0.95]))


def measure(name: str, full: bool, table: dict[str, Any], repeats: int, trials: int) -> None:
    truth = TRUE_GROUP[name]
    target = best_correct(table, truth)
    print(
        f"# {name}: {len(table)} trials in the table; target: discovered {truth}, "
        f"val >= {target - WITHIN:.3f} (best correct {target:.3f}); {trials} trials per "
        "search"
    )
    base = [
        replay(make_space(name, full, BASELINE, s, trials), table, truth, target, s)
        for s in range(repeats)
    ]
    print(
        f"#   random_fifo epochs: median {np.median([b[0] for b in base]):.0f}, reached in "
        f"{sum(b[1] for b in base)}/{repeats}"
    )
    floor = first_win_epochs(table)
    print(
        f"#   floor: a search whose first trial after a one-epoch probe wins spends {floor} "
        f"epochs ({SLOTS} at a time): median ratio "
        f"{np.median([floor / b[0] for b in base]):.2f}"
    )
    for strategy, method in STRATEGIES.items():
        ours = [
            replay(make_space(name, full, method, s, trials), table, truth, target, s)
            for s in range(repeats)
        ]
        ratios = [o[0] / b[0] for o, b in zip(ours, base, strict=True)]
        median, low, high = bootstrap_median(ratios)
        label = name if strategy == "default" else f"{name} {strategy}"
        print(f"{label} median_ratio: {median:.2f} (90% CI {low:.2f}-{high:.2f})", flush=True)
        print(
            f"#   {strategy}: epochs median {np.median([o[0] for o in ours]):.0f}, reached "
            f"{sum(o[1] for o in ours)}/{repeats}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=REPEATS, help="searcher seeds 0..R-1")
    parser.add_argument("--trials", type=int, default=TRIALS, help="trials per search")
    parser.add_argument("--full", action="store_true", help="the real spaces' data and epochs")
    parser.add_argument("--workers", type=int, default=2, help="processes for missing trials")
    args = parser.parse_args()
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    tables = build_tables(list(REDUCED), args.full, args.workers)
    for name in REDUCED:
        measure(name, args.full, tables[name], args.repeats, args.trials)


if __name__ == "__main__":
    main()
