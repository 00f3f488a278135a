"""Search efficiency: trial-epochs until a search finds the right symmetry with a near-best model,
each strategy against random search + FIFO, on digits_rotation (images, true group SO2),
signals (sequences, true group shift32) and pointclouds (2D point sets, true group SO2), the
held-out space.

Held out: pointclouds' table (its data, epochs, levels and searched ranges, by the same rules as
the two others) was fixed before any strategy was measured on it, and no setting of the sweep
(the grid rule, the default scheduler, the discovery searcher's exploration share and tolerance)
was chosen with it; its figure is reported as it came out.

What is real and what is replayed. Every trial is a real ``run_trial`` of a real configuration:
``bench/_trial_table.py`` runs each point of the bench space once (the real spaces' candidate
groups; the searched ranges each on 5 levels, the middles of 5 equal-probability bins of the
real distribution, so that random search on the grid is random search on the real space,
coarsened; digits: the first 900, the others their default data; 16 epochs; seed 0) and caches
per (config, seed) its validation metric after every epoch and its end
(``bench/tables/*.jsonl``; missing rows are run). The searchers and schedulers are the sweep's
own objects (``pipeline.sweep._strategy.build_searcher`` and ``scheduler_for``: Ray's
OptunaSearch over an in-memory Optuna study, the discovery searcher, Ray's ASHA/FIFO): they are
driven here as Tune drives them (suggest; a result per epoch, ``on_trial_result``, scheduler
decisions; ``on_trial_complete`` for stopped and ended trials), with 2 trials at a time advancing
one epoch per step, but instead of training, each epoch's result is read from the table.
Simulated, therefore: time (a step is one epoch of every running trial) and the trial seed.

The probe. Under ``searcher: discover`` the sweep first runs the data test of its most general
candidate and narrows the search by the group it names. ``bench/_probe_table.py`` keeps that
test's verdict at 20 test seeds in each table; search r gets the verdict of seed r mod 20, so a
wrong probe counts (how often it was wrong is printed, with how those searches ended), and is
charged its cost: the test's CPU seconds over the CPU seconds of a trial-epoch (a real 16-epoch
trial's over its epochs), both measured in this run on this machine (``# probe_cost``). The
data tests the trials read (each trained candidate's, once per sweep) are charged to no
strategy; random search, whose trials use every candidate, runs more of them.

The figures. A search gets there when the first trial ends that is *correct* (its discovered
group is the true group) and *near-best* (its validation accuracy within WITHIN of the best
correct trial of the table). Headline: the expected running time (ERT, as in the black-box
optimization benchmarks: all trial-epochs spent by all searches, stopped trials and the probe
included, over the number that got there) of the strategy over random search's, ``SPACE
ert_ratio: R (90% CI LO-HI)``, the interval a percentile bootstrap over searches (paired by
``searcher_seed``, repeats: seeds 0..R-1). Secondary, ``SPACE median_ratio``: the median of the
paired ratios of epochs until getting there, where a search that never gets there counts its
whole budget (trials x epochs, as if no trial had been stopped), so a median of missed searches
measures the budget. ``--plot`` (``bench/plots/search_efficiency.png``) draws the share of
searches that got there within each budget. ``SPACE STRATEGY ...`` lines are the alternatives
the defaults were chosen against (on digits_rotation and signals). The cached tables make a run
take a few minutes (the probe's cost is measured anew); ``--full`` first builds tables of the
real spaces (all digits, their epochs): hours on 2 cores.

    python bench/search_efficiency.py [--repeats R] [--trials N] [--spaces ...] [--plot PNG]
                                      [--full] [--workers W]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _probe_table import build_probes, probe_cost
from _trial_table import HELD_OUT, REDUCED, bench_space, build_tables, key_of

REPEATS, TRIALS, SLOTS, WITHIN = 20, 24, 2, 0.03
TRUE_GROUP = {"digits_rotation": "SO2", "signals": "shift32", "pointclouds": "SO2"}
BASELINE = {"searcher": "random", "scheduler": {"name": "fifo"}}
PLOT = Path(__file__).resolve().parent / "plots" / "search_efficiency.png"
CURVES = ("default", "discover_fifo", "optuna")  # drawn beside random search
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


class Search:
    """One search: epochs spent in all, whether it got there, and at how many epochs."""

    def __init__(self, spent: float, reached: bool, cap: float) -> None:
        self.spent, self.reached = spent, reached
        self.at = spent if reached else cap  # the median figure's: a miss costs the whole cap


def replay(
    space: Any, table: dict[str, dict[str, Any]], truth: str, target: float, probe: Any
) -> Search:
    """Drive the space's real searcher and scheduler over the table. Under ``discover`` the
    sweep's data test ran first: ``probe`` is (its verdict, its cost in trial-epochs)."""
    from ray.tune.schedulers import TrialScheduler

    from pipeline.sweep._strategy import build_searcher, scheduler_for

    seed = space.searcher_seed
    np.random.seed(seed)  # ASHA draws a bracket per trial from numpy's global generator
    found, cost = probe if space.searcher == "discover" else (None, 0.0)
    searcher = build_searcher(space, "max", f"bench_{seed}", None, found=found)
    scheduler = scheduler_for(space, "max")
    running: dict[str, list[Any]] = {}  # id -> [row, epochs trained]
    started, spent = 0, cost
    # never got there: the whole budget, as if every trial ran out (a search that stops every
    # trial early and finds nothing must not look cheap in a median)
    cap = cost + space.num_samples * trial_epochs(table)
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
                    return Search(spent, True, cap)
                continue
            action = scheduler.on_trial_result(None, _Trial(trial_id), result)
            searcher.on_trial_result(trial_id, result)
            if action == TrialScheduler.STOP:
                scheduler.on_trial_remove(None, _Trial(trial_id))
                searcher.on_trial_complete(trial_id, result)
                del running[trial_id]
    return Search(spent, False, cap)


def correct(row: dict[str, Any], truth: str) -> bool:
    return (
        row["status"] == "completed"
        and row["discovered_group"] == truth
        and "discovery" not in row["point"]
    )


def trial_epochs(table: dict[str, dict[str, Any]]) -> int:
    """The epochs of a trial run to its end."""
    return max(len(r["curve"]) for r in table.values())


def first_win_epochs(table: dict[str, dict[str, Any]], cost: float) -> float:
    """The fewest trial-epochs a probing search can spend: the data test, then a winning
    trial run to its end beside SLOTS - 1 others that started with it."""
    epochs = trial_epochs(table)
    return cost + epochs + (SLOTS - 1) * (epochs - 1)


def best_correct(table: dict[str, dict[str, Any]], truth: str) -> float:
    return max(r["val_metric"] for r in table.values() if correct(r, truth))


def bootstrap_median(ratios: list[float], draws: int = 10_000) -> tuple[float, float, float]:
    """The median and a 90% percentile-bootstrap interval of it."""
    rng = np.random.default_rng(0)
    values = np.asarray(ratios)
    medians = np.median(rng.choice(values, size=(draws, len(values))), axis=1)
    return float(np.median(values)), *map(float, np.quantile(medians, [0.05, 0.95]))


def ert(spent: np.ndarray, reached: np.ndarray) -> np.ndarray:
    """Expected running time along the last axis: all epochs spent over the successes (inf
    where none succeeded), as in the black-box optimization benchmarks."""
    successes = reached.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(successes > 0, spent.sum(axis=-1) / np.maximum(successes, 1), np.inf)


def bootstrap_ert_ratio(
    ours: list[Search], base: list[Search], draws: int = 10_000
) -> tuple[float, float, float]:
    """ERT(ours) / ERT(random) and a 90% percentile-bootstrap interval, resampling searches
    in pairs (same searcher seed); a resample where neither succeeded counts as a ratio of inf."""
    rng = np.random.default_rng(0)
    arrays = [np.array([[x.spent for x in s], [x.reached for x in s]]) for s in (ours, base)]
    (o_spent, o_hit), (b_spent, b_hit) = arrays
    point = float(ert(o_spent, o_hit.astype(bool)) / ert(b_spent, b_hit.astype(bool)))
    picks = rng.integers(len(ours), size=(draws, len(ours)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = ert(o_spent[picks], o_hit[picks].astype(bool)) / ert(
            b_spent[picks], b_hit[picks].astype(bool)
        )
        ratios = np.nan_to_num(ratios, nan=np.inf, posinf=np.inf)
        bounds = np.nan_to_num(np.quantile(ratios, [0.05, 0.95]), nan=np.inf)  # inf - inf
    return (np.inf if np.isnan(point) else point), *map(float, bounds)


def measure(
    name: str, args: argparse.Namespace, table: dict[str, Any], probes: list[dict[str, Any]]
) -> dict[str, list[Search]]:
    """Every strategy's searches on one space, with the figures printed; strategy -> searches."""
    truth, repeats, trials = TRUE_GROUP[name], args.repeats, args.trials
    target = best_correct(table, truth)
    cost, test_s, epoch_s, marginal = probe_cost(name, truth, args.full)
    held = " (held out: no setting was chosen with it)" if name in HELD_OUT else ""
    print(
        f"# {name}{held}: {len(table)} trials in the table; target: discovered {truth}, "
        f"val >= {target - WITHIN:.3f} (best correct {target:.3f}); {trials} trials per search"
    )
    print(
        f"# probe_cost: {name} {cost:.1f} trial-epochs (its data test {test_s:.2f} CPU s over "
        f"a trial-epoch of a {truth} trial, {epoch_s:.3f} CPU s, both measured now; "
        f"{test_s / marginal:.1f} of its epochs without the trial's set-up and end)",
        flush=True,
    )
    draws = [(probes[s % len(probes)]["discovered_group"], cost) for s in range(repeats)]
    wrong = sum(p["discovered_group"] != truth for p in probes)
    print(
        f"#   probe wrong at {wrong}/{len(probes)} test seeds "
        f"({sorted({p['discovered_group'] for p in probes})}); "
        f"{sum(d[0] != truth for d in draws)} of {repeats} searches drew a wrong one"
    )
    runs = {"random": search_all(name, args, BASELINE, table, truth, target, draws)}
    base = runs["random"]
    print(
        f"#   random_fifo: epochs median {np.median([b.at for b in base]):.0f}, ERT "
        f"{float(ert(*_arrays(base))):.0f}, reached in {sum(b.reached for b in base)}/{repeats}"
    )
    floor = first_win_epochs(table, cost)
    print(
        f"#   floor: the test, then a first trial that wins: {floor:.0f} epochs ({SLOTS} at a time)"
    )
    for strategy, method in STRATEGIES.items():
        ours = runs[strategy] = search_all(name, args, method, table, truth, target, draws)
        label = name if strategy == "default" else f"{name} {strategy}"
        r, lo, hi = bootstrap_ert_ratio(ours, base)
        print(f"{label} ert_ratio: {r:.2f} (90% CI {lo:.2f}-{hi:.2f})", flush=True)
        median, lo, hi = bootstrap_median([o.at / b.at for o, b in zip(ours, base, strict=True)])
        print(f"{label} median_ratio: {median:.2f} (90% CI {lo:.2f}-{hi:.2f})")
        missed = [o.reached for o, d in zip(ours, draws, strict=True) if d[0] != truth]
        print(
            f"#   {strategy}: epochs median {np.median([o.at for o in ours]):.0f}, ERT "
            f"{float(ert(*_arrays(ours))):.0f}, reached {sum(o.reached for o in ours)}/{repeats}"
            f" (after a wrong probe {sum(missed)}/{len(missed)})",
            flush=True,
        )
    return runs


def _arrays(searches: list[Search]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([s.spent for s in searches]), np.array([s.reached for s in searches])


def search_all(
    name: str,
    args: argparse.Namespace,
    method: dict[str, Any],
    table: dict[str, Any],
    truth: str,
    target: float,
    draws: list[Any],
) -> list[Search]:
    return [
        replay(make_space(name, args.full, method, s, args.trials), table, truth, target, draws[s])
        for s in range(args.repeats)
    ]


def plot(runs: dict[str, dict[str, list[Search]]], path: Path) -> None:
    """Success versus budget: the share of searches that got there within b trial-epochs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(runs), figsize=(5 * len(runs), 4), squeeze=False)
    for ax, (name, by_strategy) in zip(axes[0], runs.items(), strict=True):
        cap = max(s.at for searches in by_strategy.values() for s in searches)
        budget = np.linspace(0, cap, 400)
        for strategy in ("random", *CURVES):
            hits = np.array([s.spent if s.reached else np.inf for s in by_strategy[strategy]])
            share = (hits[None, :] <= budget[:, None]).mean(axis=1)
            ax.step(
                budget,
                share,
                where="post",
                label=strategy.replace("default", "discover+ASHA (default)"),
            )
        ax.set(
            title=name + (" (held out)" if name in HELD_OUT else ""),
            xlabel="trial-epochs",
            ylabel="share of searches that got there",
            ylim=(0, 1.02),
        )
        ax.grid(alpha=0.3)
    axes[0][0].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"# plot: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=REPEATS, help="searcher seeds 0..R-1")
    parser.add_argument("--trials", type=int, default=TRIALS, help="trials per search")
    parser.add_argument("--full", action="store_true", help="the real spaces' data and epochs")
    parser.add_argument("--workers", type=int, default=2, help="processes for missing trials")
    parser.add_argument("--plot", type=Path, default=PLOT, help="the success-versus-budget plot")
    parser.add_argument("--spaces", nargs="*", default=list(REDUCED), choices=list(REDUCED))
    args = parser.parse_args()
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    names = args.spaces
    tables = build_tables(names, args.full, args.workers)
    probes = build_probes(names, full=args.full)
    runs = {name: measure(name, args, tables[name], probes[name]) for name in names}
    plot(runs, args.plot)


if __name__ == "__main__":
    main()
