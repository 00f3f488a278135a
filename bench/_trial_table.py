"""The table of real trials that ``search_efficiency.py`` replays: every configuration of a bench
space (the real space's candidates, each searched range as a grid of levels; plus the discovery
probe) run once by ``run_trial``.

Each row is one real trial (config, seed): its per-epoch validation metric and its end
(status, validation metric, discovered group, ``discovery_correct``). Rows are cached as JSON
lines, one file per space and setup, keyed by the trial's searched values; a missing row is run.

    python bench/_trial_table.py [--full] [--workers N] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "tables"
EPOCHS = 16  # reduced setup: rungs after the 3-epoch augmentation warm-up still fit
PROBE_EPOCHS = 1  # the discovery probe's test reads the data; its one epoch is still counted
LEVELS = 5  # values per searched range (a 5-level grid of three ranges: 381 digits trials)
REDUCED = {  # reduced data, and the real space's ranges that the grid searches (the others
    # stay at their defaults: digits' prior and init_width would multiply its table by 10)
    "digits_rotation": {
        "dataset": {"name": "digits", "transform": "SO2", "limit": 900},
        "searched": ["candidate_group", "reg", "lr", "aug_lr"],
    },
    "signals": {
        "dataset": {"name": "signals", "length": 32, "transform": "shift"},
        "searched": ["candidate_group", "reg", "lr"],
    },
    # held out: fixed (data, epochs, searched ranges by the same rules as the two above) before
    # any strategy was measured on it; no setting of the sweep was chosen with it
    "pointclouds": {
        "dataset": {"name": "pointclouds", "dim": 2, "transform": "rotate"},
        "searched": ["candidate_group", "reg", "lr"],
    },
}
HELD_OUT = {"pointclouds"}


def level_grid(dimension: dict[str, Any], levels: int = LEVELS) -> dict[str, Any]:
    """A range of the real space as ``levels`` choices: the middles of its equal-probability
    bins, so that a uniform draw from the grid is a draw from the real distribution, coarsened
    (a grid of values around the default would hand random search the author's prior). Its
    default is the level nearest the real default (the range's middle where it has none)."""
    from pipeline.space import Distribution

    real = Distribution(**dimension)
    log = real.distribution == "loguniform"
    scale, unscale = (math.log, math.exp) if log else (float, float)
    lo, hi = scale(real.low), scale(real.high)
    values = [float(f"{unscale(lo + (hi - lo) * (i + 0.5) / levels):.3g}") for i in range(levels)]
    default = scale(real.middle())
    return {"choices": values, "default": min(values, key=lambda v: abs(scale(v) - default))}


def reduced_search(real: dict[str, Any], searched: list[str]) -> dict[str, Any]:
    """The real space's searched entries that the bench grids, each range as levels."""
    search = {}
    for key in searched:
        entry = real[key]
        search[key] = level_grid(entry) if "distribution" in entry else entry
    return search


def bench_space(name: str, full: bool) -> dict[str, Any]:
    """The bench's space as a YAML mapping: reduced data and epochs unless ``full``."""
    import yaml

    real = yaml.safe_load((ROOT / "search_spaces" / f"{name}.yaml").read_text())
    reduced = REDUCED[name]
    dataset = real["dataset"] if full else reduced["dataset"]
    epochs = real["trial"].get("epochs", 30) if full else EPOCHS
    return {
        "name": name,
        "dataset": dataset,
        "search": reduced_search(real["search"], reduced["searched"]),
        "trial": {"epochs": epochs, "robustness": "none", "seed": 0},
        "metric": "val_metric",
        "mode": "max",
    }


def key_of(params: dict[str, Any]) -> str:
    """A trial's table key: its searched values (probe settings included)."""
    return json.dumps(params, sort_keys=True)


def table_points(space: dict[str, Any]) -> list[dict[str, Any]]:
    """Every searched point of the grid, and the probe the discovery strategy starts with."""
    from pipeline.space import SearchSpace
    from pipeline.sweep._probe import probe_point
    from pipeline.sweep._search import grid_points

    parsed = SearchSpace.model_validate(space)
    return [probe_point(parsed, PROBE_EPOCHS), *grid_points(parsed)]


def run_point(space: dict[str, Any], point: dict[str, Any]) -> dict[str, Any]:
    """One real trial of ``point``; the row the table keeps."""
    import torch

    from pipeline.trial import run_trial

    torch.set_num_threads(1)
    values = {"dataset": space["dataset"], **space["trial"], **point, "device": "cpu"}
    curve: list[float] = []
    result = run_trial(values, lambda row: curve.append(float(row["val_metric"])))
    trial = result.trial
    return {
        "key": key_of(point),
        "point": point,
        "curve": curve,
        "status": str(trial["status"]),
        "val_metric": trial["val_metric"],
        "discovered_group": trial["discovered_group"],
        "discovery_correct": trial["discovery_correct"],
        "train_seconds": trial["train_seconds"],
        "eval_seconds": trial["eval_seconds"],
    }


def table_path(name: str, full: bool, folder: Path = CACHE) -> Path:
    return folder / f"{name}{'_full' if full else ''}.jsonl"


def load_table(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {row["key"]: row for row in rows if "probe_test_seed" not in row}  # trials only


def build_tables(
    names: list[str], full: bool, workers: int, folder: Path = CACHE
) -> dict[str, dict[str, Any]]:
    """Each space's table, running (in ``workers`` processes) the points not cached yet."""
    spaces = {name: bench_space(name, full) for name in names}
    tables = {name: load_table(table_path(name, full, folder)) for name in names}
    missing = [
        (name, p)
        for name in names
        for p in table_points(spaces[name])
        if key_of(p) not in tables[name]
    ]
    if not missing:
        return tables
    print(f"running {len(missing)} trials in {workers} processes", flush=True)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        futures = {pool.submit(run_point, spaces[name], p): name for name, p in missing}
        for future in as_completed(futures):
            name, row = futures[future], future.result()
            with table_path(name, full, folder).open("a") as out:
                out.write(json.dumps(row) + "\n")
            tables[name][row["key"]] = row
    print(f"tables built in {time.perf_counter() - started:.0f} s", flush=True)
    return tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the real spaces' data and epochs")
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    parser.add_argument("--out", type=Path, default=CACHE)
    parser.add_argument("--spaces", nargs="*", default=list(REDUCED))
    args = parser.parse_args()
    build_tables(args.spaces, args.full, args.workers, args.out)


if __name__ == "__main__":
    main()
