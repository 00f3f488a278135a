"""The sweep's verdict per generator: present or absent, how sure, how far, from which candidate.

Rule, per (dataset, generator):

1. The candidate: among the candidate groups that have this generator, the one whose best
   completed trial has the best validation metric (the evidence comes from the model that fits
   best, as in ``sweep_verdict``).
2. One vote per seed: within that candidate, each seed's trial with the best validation metric
   (other trials of the same seed are other hyperparameters, not independent evidence). Its vote
   is the discovery row's ``present`` (the test of the data) where the test decided (``present``
   not null and no ``test_note``), else ``active`` (the trial's verdict: the learned widths', or
   with ``discovery: test`` an undecided generator counted as not present).
3. The verdict is what most seeds vote (``undecided`` on a tie), with the share of seeds that
   agree and its 95% Wilson interval; the extent is the mean and standard deviation, over the
   seeds that agree, of ``extent`` (data units), or of the learned width where none was measured.
"""

from __future__ import annotations

import math
from typing import Any

from pipeline.analysis._summaries import metric_mode, task_trials

INPUTS = [
    "learned_width",
    "active",
    "true_active",
    "cosine",
    "present",
    "p_value",
    "extent",
    "extent_unit",
    "extent_error",
    "test_note",
    "used_by_model",
]
TRIAL_INPUTS = ["trial_id", "dataset", "candidate_group", "seed", "status", "val_metric"]
COLUMNS = [
    "dataset",
    "generator",
    "verdict",
    "seeds",
    "agreeing",
    "agreement",
    "agreement_low",
    "agreement_high",
    "evidence",
    "extent",
    "extent_std",
    "extent_unit",
    "extent_error",
    "cosine",
    "candidate_group",
    "candidate_val_metric",
    "trials",
    "true_present",
    "correct",
]
WIDTH_UNIT = "learned width (generator units)"
Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial share (95% by default); (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    share = successes / n
    denominator = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends, not rounding noise
    return low, 1.0 if successes == n else min(1.0, centre + half)


def plan_verdict(trials: Any, discovery: Any) -> Any:
    """The discovery rows of completed trials, only the columns the verdict reads (small)."""
    done = list(trials.loc[trials["status"] == "completed", "trial_id"])
    present = [c for c in INPUTS if c in discovery.columns]
    return discovery[discovery["trial_id"].isin(done)][["trial_id", "generator", *present]]


def generator_verdicts(trials: Any, rows: Any) -> Any:
    """The verdict table (``COLUMNS``), one row per (dataset, generator), as pandas."""
    import pandas as pd

    rows = rows.assign(**{c: pd.NA for c in INPUTS if c not in rows.columns})
    done = task_trials(trials)  # a probe is never a candidate
    if "discovery_note" in done.columns:  # a trial at chance never votes
        done = done[done["discovery_note"].isna()]
    joined = rows.merge(done[TRIAL_INPUTS], on="trial_id", how="inner")
    if joined.empty:
        return pd.DataFrame(columns=COLUMNS)
    ascending = metric_mode(trials) == "min"
    best = _best_per_candidate(done, ascending)
    verdicts = [
        _one_generator(dataset, generator, group, best, ascending)
        for (dataset, generator), group in joined.groupby(["dataset", "generator"], sort=True)
    ]
    return pd.DataFrame(verdicts, columns=COLUMNS)


def _best_per_candidate(done: Any, ascending: bool) -> dict[tuple[str, str], float]:
    grouped = done.groupby(["dataset", "candidate_group"])["val_metric"]
    best = grouped.min() if ascending else grouped.max()
    return {key: float(value) for key, value in best.items()}


def _one_generator(dataset: str, generator: str, group: Any, best: dict, ascending: bool) -> dict:
    candidate = _winning_candidate(dataset, group["candidate_group"].unique(), best, ascending)
    rows = group[group["candidate_group"] == candidate]
    ranked = rows.sort_values(["val_metric", "trial_id"], ascending=[ascending, True])
    seeds = ranked.drop_duplicates("seed", keep="first")
    votes = seeds.apply(_vote, axis=1) if len(seeds) else seeds["active"]
    seeds = seeds[votes.notna()].assign(vote=votes[votes.notna()].astype(bool))
    n, yes = len(seeds), int(seeds["vote"].sum())
    verdict = "present" if 2 * yes > n else ("absent" if 2 * yes < n else "undecided")
    agreeing = max(yes, n - yes)
    low, high = wilson_interval(agreeing, n)
    majority = seeds if verdict == "undecided" else seeds[seeds["vote"] == (verdict == "present")]
    extent, extent_std, unit = _extent(majority)
    true_present = _first(rows["true_active"])
    return {
        "dataset": dataset,
        "generator": generator,
        "verdict": verdict,
        "seeds": n,
        "agreeing": agreeing,
        "agreement": agreeing / n if n else None,
        "agreement_low": low,
        "agreement_high": high,
        "evidence": _evidence(seeds),
        "extent": extent,
        "extent_std": extent_std,
        "extent_unit": unit,
        "extent_error": mean_of(seeds["extent_error"]),
        "cosine": mean_of(seeds["cosine"]),
        "candidate_group": candidate,
        "candidate_val_metric": best[(dataset, candidate)],
        "trials": len(rows),
        "true_present": true_present,
        "correct": None
        if true_present is None or verdict == "undecided"
        else (verdict == "present") == bool(true_present),
    }


def _winning_candidate(dataset: str, candidates: Any, best: dict, ascending: bool) -> str:
    """Best validation metric first; ties broken by name so the choice is reproducible."""
    ordered = sorted(
        candidates, key=lambda c: ((best[(dataset, c)] if ascending else -best[(dataset, c)]), c)
    )
    return ordered[0]


def _vote(row: Any) -> bool | None:
    """The test's ``present`` where it decided, else the trial's ``active``."""
    import pandas as pd

    if not pd.isna(row["present"]) and pd.isna(row["test_note"]):
        return bool(row["present"])
    return None if pd.isna(row["active"]) else bool(row["active"])


def _evidence(seeds: Any) -> str:
    tested = int(seeds["present"].notna().sum())
    if tested == len(seeds):
        return "test"
    return "widths" if tested == 0 else f"test ({tested} seeds), widths"


def _extent(seeds: Any) -> tuple[float | None, float | None, str | None]:
    """Mean and spread of the measured extent (data units); the learned width where none."""
    measured = seeds["extent"].dropna()
    if len(measured):
        units = seeds.loc[measured.index, "extent_unit"].dropna().unique()
        return mean_of(measured), std_of(measured), ", ".join(map(str, units)) or None
    widths = seeds["learned_width"].dropna()
    return mean_of(widths), std_of(widths), WIDTH_UNIT if len(widths) else None


def mean_of(values: Any) -> float | None:
    """The mean of a column's values, None where it has none."""
    values = values.dropna().astype("float64")
    return float(values.mean()) if len(values) else None


def std_of(values: Any) -> float | None:
    """The standard deviation of a column's values, None below two."""
    values = values.dropna().astype("float64")
    return float(values.std()) if len(values) > 1 else None


def _first(values: Any) -> bool | None:
    values = values.dropna()
    return bool(values.iloc[0]) if len(values) else None
