"""The sweep's data tests: once per (dataset, candidate group), before any trial trains.

The verdict of the data test is a function of the data, the candidate and a seed, not of a
trial's hyperparameters, so a sweep runs it once per candidate of its space (those whose
generators exist before training: not ``learned<k>``) and stores it in the ``data_tests`` table;
trials of that candidate copy its consensus into their ``discovery`` rows and name it in
``data_test_id``. A resumed sweep (from any machine) reads the stored tests and runs none again.
The discovery strategy (``searcher: discover``) narrows its search by the most general
candidate's test, so it spends no trial on a probe.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

from pipeline.discovery import DataTest, Verdict, data_test_id, run_data_test
from pipeline.space import Choice, SearchSpace, trial_config


def planned_candidates(space: SearchSpace) -> list[str]:
    """The candidates whose data test the sweep runs: every candidate the trials may use when
    they read the test (``discovery`` test or both), and the most general one under
    ``searcher: discover`` (it narrows the search); learned candidates have nothing to test."""
    from pipeline.groups import get_group
    from pipeline.sweep._probe import candidate_choices, most_general

    config = trial_config(space, {"device": "cpu"})
    choices = candidate_choices(space) or [config.candidate_group]
    wanted = list(choices) if _reads_test(space, config.discovery) else []
    if space.searcher == "discover" and len(choices) > 1:
        wanted.insert(0, most_general(choices))  # first: it decides which others trials use
    wanted = list(dict.fromkeys(wanted))
    return [c for c in wanted if not get_group(c).learnable and get_group(c).generator_names()]


def _still_needed(space: SearchSpace, planned: list[str], found: dict[str, DataTest]) -> list[str]:
    """Under ``discover``, once the most general candidate's test has run, only the candidates
    it narrows the search to will train (a trial of another one would run its own test)."""
    from pipeline.sweep._probe import candidate_choices, narrowed

    narrowing = discovered_by_test(space, found)
    if space.searcher != "discover" or narrowing is None:
        return planned
    keep = set(narrowed(candidate_choices(space), narrowing))
    return [c for c in planned if c in keep or c in found]


def _reads_test(space: SearchSpace, fixed: str) -> bool:
    dimension = space.dimensions().get("discovery")
    values = dimension.choices if isinstance(dimension, Choice) else [fixed]
    return any(value != "widths" for value in values)


def sweep_data_tests(space: SearchSpace, location: Any, sweep: str) -> dict[str, DataTest]:
    """candidate -> its data test: read from the store where the sweep has it, else run (with
    a line per candidate on stderr) and stored."""
    from pipeline.data import build_dataset
    from pipeline.groups import get_group
    from pipeline.trial import test_seeds

    candidates = planned_candidates(space)
    if not candidates:
        return {}
    config = trial_config(space, {"device": "cpu"})
    seeds = test_seeds(config)
    stored = _stored_tests(location, sweep)
    found: dict[str, DataTest] = {}
    dataset = None
    for candidate in candidates:
        if candidate not in _still_needed(space, candidates, found):
            continue
        test_id = data_test_id(config.dataset, config.data_seed, candidate, seeds)
        if test_id in stored:
            found[candidate] = stored[test_id]
            continue
        dataset = dataset or build_dataset(config.dataset, config.data_seed)
        group = get_group(candidate, learned_domain=dataset.learned_domain)
        started = time.perf_counter()
        print(
            f"data test: {candidate} on {dataset.name} ({len(group.generator_names())} "
            f"generators, {len(seeds)} repeat(s))...",
            file=sys.stderr,
            flush=True,
        )
        test = run_data_test(dataset, group, seeds, test_id)
        _store(location, sweep, test, test.rows(dataset, config.data_seed, group))
        print(
            f"data test: {candidate}: {test.discovered_group(group)} "
            f"({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
        found[candidate] = test
    return found


def discovered_by_test(space: SearchSpace, tests: dict[str, DataTest]) -> str | None:
    """The group the most general candidate's test found (the discovery strategy's narrowing);
    None where no such test ran (a learned most general candidate: the strategy probes)."""
    from pipeline.groups import get_group
    from pipeline.sweep._probe import candidate_choices, most_general

    choices = candidate_choices(space)
    if not choices or most_general(choices) not in tests:
        return None
    candidate = most_general(choices)
    return tests[candidate].discovered_group(get_group(candidate))


def _store(location: Any, sweep: str, test: DataTest, rows: list[dict[str, Any]]) -> None:
    from pipeline.store import StoreWriter, claim_attempt

    writer = StoreWriter(
        location, sweep, test.test_id, claim_attempt(location, sweep, test.test_id)
    )
    writer.add_rows("data_tests", rows)
    writer.flush()


def _stored_tests(location: Any, sweep: str) -> dict[str, DataTest]:
    """The sweep's stored data tests, rebuilt from their rows (test id -> DataTest)."""
    from pipeline.store import read_table

    rows = read_table(location, "data_tests", sweep).to_pylist()
    by_id: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_id.setdefault(row["trial_id"], []).append(row)
    return {test_id: stored_test(test_id, found) for test_id, found in by_id.items()}


def stored_test(test_id: str, rows: list[dict[str, Any]]) -> DataTest:
    """A DataTest from its ``data_tests`` rows (repeats in seed order, generators in row order)."""
    seeds = sorted({int(row["test_seed"]) for row in rows})
    runs = [[_verdict(row) for row in rows if row["test_seed"] == seed] for seed in seeds]
    matrices = {row["generator"]: row["matrix"] for row in rows if row.get("matrix")}
    dim = next((int(row["matrix_dim"]) for row in rows if row.get("matrix_dim")), 0)
    seconds = sum(
        max(float(row.get("seconds") or 0.0) for row in rows if row["test_seed"] == s)
        for s in seeds
    )  # a verdict's seconds: its repeat's time so far
    return DataTest(test_id, rows[0]["candidate_group"], seeds, runs, matrices, dim, seconds)


def _verdict(row: dict[str, Any]) -> Verdict:
    return Verdict(
        generator=row["generator"],
        present=bool(row["present"]),
        p_value=row["p_value"],
        extent=row["extent"],
        unit=row["extent_unit"],
        full=bool(row["whole"]),
        invariance_p=math.nan,
        magnitudes=list(row["magnitudes"] or []),
        tv=list(row["tv"] or []),
        visibility_p=row["visibility_p"] or 0.0,
        note=row["test_note"],
        extent_error=row["extent_error"],
        seconds=row.get("seconds") or 0.0,
        invariant_order=row.get("invariant_order"),
        subgroup=row.get("subgroup"),
    )
