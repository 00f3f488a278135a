"""The discovery strategy's probe in ``search_efficiency.py``: the data test of a bench space's
most general candidate, at PROBE_SEEDS test seeds, and what it costs in trial-epochs.

A sweep under ``searcher: discover`` runs this test once before any trial and narrows its search
by the group it names (``pipeline.sweep._datatests``). Its verdict depends on the test's seed
(its reader, its held-out draws), so the bench keeps one outcome per seed (on the trials' data,
``data_seed`` 0) in the space's table, beside the trials (rows keyed ``probe_test:<seed>``;
missing ones are run), and each search draws one: a wrong probe counts against the strategy.
Its price is measured live (``probe_cost``), in the same process as an epoch of a real trial.

    python bench/_probe_table.py [--spaces NAME ...] [--seeds N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from pathlib import Path
from typing import Any

from _trial_table import CACHE, REDUCED, bench_space, table_path

PROBE_SEEDS = 20  # test seeds 0..19: one outcome per search, drawn by its searcher seed
PROBE_KEY = "probe_test"


def most_general_candidate(name: str) -> str:
    from pipeline.space import SearchSpace
    from pipeline.sweep._probe import candidate_choices, most_general

    return most_general(candidate_choices(SearchSpace.model_validate(bench_space(name, False))))


def run_probe(name: str, seed: int, full: bool = False) -> dict[str, Any]:
    """The data test of the space's most general candidate at test seed ``seed``; its verdict
    and CPU seconds."""
    import torch

    from pipeline.data import build_dataset
    from pipeline.discovery import run_data_test
    from pipeline.groups import get_group

    torch.set_num_threads(1)
    space = bench_space(name, full)
    candidate = most_general_candidate(name)
    dataset = build_dataset(space["dataset"], 0)
    group = get_group(candidate, learned_domain=dataset.learned_domain)
    started = time.process_time()
    test = run_data_test(dataset, group, [seed], f"{PROBE_KEY}:{seed}")
    return {
        "key": f"{PROBE_KEY}:{seed}",
        "probe_test_seed": seed,
        "candidate_group": candidate,
        "discovered_group": test.discovered_group(group),
        "cpu_seconds": time.process_time() - started,
    }


def load_probes(path: Path) -> dict[int, dict[str, Any]]:
    if not path.is_file():
        return {}
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {row["probe_test_seed"]: row for row in rows if "probe_test_seed" in row}


def build_probes(
    names: list[str], seeds: int = PROBE_SEEDS, full: bool = False, folder: Path = CACHE
) -> dict[str, list[dict[str, Any]]]:
    """Each space's probe outcomes at test seeds 0..seeds-1, running (one after another) the
    ones not cached yet."""
    out = {}
    for name in names:
        path = table_path(name, full, folder)
        probes = load_probes(path)
        missing = [s for s in range(seeds) if s not in probes]
        if missing:
            print(f"running {len(missing)} probe tests of {name}", flush=True)
        for seed in missing:
            row = run_probe(name, seed, full)
            with path.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            probes[seed] = row
        out[name] = [probes[s] for s in range(seeds)]
    return out


def probe_cost(name: str, candidate: str, full: bool = False) -> tuple[float, float, float, float]:
    """(trial-epochs, test CPU s, trial-epoch CPU s, marginal epoch CPU s): the probe's test at
    seed 0 and a real trial of the bench's epochs (``candidate``, where the probe leads the
    search, at the space's other defaults; the test is the sweep's), both timed here and now
    in this process. A trial-epoch is the trial's CPU seconds over its epochs (its set-up and
    end count: the bench counts a trial's cost in epochs); its epochs alone are printed too."""
    import torch

    from pipeline.trial import run_trial

    torch.set_num_threads(1)
    test_seconds = run_probe(name, 0, full)["cpu_seconds"]
    space = bench_space(name, full)
    point = {"candidate_group": candidate, "discovery": "widths"}
    values = {"dataset": space["dataset"], **space["trial"], **point, "device": "cpu"}
    marks = [time.process_time()]
    run_trial(values, lambda row: marks.append(time.process_time()))
    epochs = len(marks) - 1
    trial_epoch = (time.process_time() - marks[0]) / epochs
    marginal = statistics.median(b - a for a, b in itertools.pairwise(marks[1:]))
    return test_seconds / trial_epoch, test_seconds, trial_epoch, marginal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaces", nargs="*", default=list(REDUCED))
    parser.add_argument("--seeds", type=int, default=PROBE_SEEDS)
    args = parser.parse_args()
    for name, rows in build_probes(args.spaces, args.seeds).items():
        found = [r["discovered_group"] for r in rows]
        print(name, {g: found.count(g) for g in set(found)}, flush=True)


if __name__ == "__main__":
    main()
