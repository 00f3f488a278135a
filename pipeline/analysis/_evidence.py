"""The sweep's answer from its evidence: what the data have (the data test) and what served the
task (the trials), kept apart.

- ``test_verdicts``: per (dataset, tested candidate, generator), present / absent / undecided by
  the sweep's data tests (``data_tests``: once per candidate, ``test_repeats`` seeds): what most
  repeats say, with the share that agree and its 95% Wilson interval, the median p-value, the
  extent (mean and spread over the agreeing repeats), and beside it what the models used (the
  share of the completed trials with that generator whose learned width was active).
- ``data_verdict``: the headline: the group the most general tested candidate's generators span,
  and whether it matches the declared group (scored only; nothing above reads the truth).
- ``candidate_summary``: per candidate, its best validation metric with an interval, and
  whether encoding the discovered symmetry helped against the trivial candidate.

A discovery probe (a one-epoch trial of the discovery strategy) is never a candidate; trials are
never votes on the data.
"""

from __future__ import annotations

import math
from typing import Any

from pipeline.analysis._summaries import task_trials
from pipeline.analysis._verdict import mean_of as _mean
from pipeline.analysis._verdict import std_of as _std
from pipeline.analysis._verdict import wilson_interval

VERDICT_COLUMNS = [
    "dataset",
    "candidate_group",
    "generator",
    "verdict",
    "repeats",
    "agreeing",
    "agreement",
    "agreement_low",
    "agreement_high",
    "p_value",
    "extent",
    "extent_std",
    "extent_unit",
    "extent_error",
    "evidence",
    "used_by_model",
    "true_present",
    "correct",
]
CANDIDATE_COLUMNS = [
    "candidate_group",
    "trials",
    "best_val_metric",
    "val_low",
    "val_high",
    "best_trial",
    "best_status",
    "discovered_group",
    "model_group",
]


# -- what the data have -----------------------------------------------------------------------


def test_verdicts(tests: Any, discovery: Any, trials: Any) -> Any:
    """The verdict table (VERDICT_COLUMNS) from the sweep's data tests, as pandas."""
    import pandas as pd

    if tests is None or tests.empty:
        return pd.DataFrame(columns=VERDICT_COLUMNS)
    used = _model_use(discovery, task_trials(trials))
    rows = []
    keys = ["dataset", "candidate_group", "generator"]
    order = {name: i for i, name in enumerate(dict.fromkeys(tests["generator"]))}
    for (dataset, candidate, generator), group in tests.groupby(keys, sort=False):
        rows.append(_one_verdict(dataset, candidate, generator, group, used.get(generator)))
    frame = pd.DataFrame(rows, columns=VERDICT_COLUMNS)
    frame["_order"] = frame["generator"].map(order)
    return frame.sort_values(["dataset", "candidate_group", "_order"]).drop(columns="_order")


def _one_verdict(
    dataset: str, candidate: str, generator: str, group: Any, used: float | None
) -> dict[str, Any]:
    decided = group[group["test_note"].isna()]
    yes = int(decided["present"].astype(bool).sum())
    no = len(decided) - yes
    verdict = "present" if yes > no else ("absent" if no > yes else "undecided")
    agreeing = max(yes, no) if verdict != "undecided" else 0
    low, high = wilson_interval(agreeing, len(group))
    chosen = (
        decided[decided["present"].astype(bool) == (verdict == "present")]
        if verdict != "undecided"
        else group
    )
    true_present = _first(group["true_present"])
    return {
        "dataset": dataset,
        "candidate_group": candidate,
        "generator": generator,
        "verdict": verdict,
        "repeats": len(group),
        "agreeing": agreeing,
        "agreement": agreeing / len(group),
        "agreement_low": low,
        "agreement_high": high,
        "p_value": float(chosen["p_value"].median()),
        "extent": _mean(chosen["extent"]),
        "extent_std": _std(chosen["extent"]),
        "extent_unit": _first(group["extent_unit"]),
        "extent_error": _mean(chosen["extent_error"]),
        "evidence": "data test",
        "used_by_model": used,
        "true_present": true_present,
        "correct": None
        if true_present is None or verdict == "undecided"
        else (verdict == "present") == true_present,
    }


def _model_use(discovery: Any, done: Any) -> dict[str, float]:
    """generator -> share of the completed trials that have it (any candidate) whose learned
    width was active: what the models used."""
    if discovery is None or discovery.empty or done.empty:
        return {}
    column = "used_by_model" if "used_by_model" in discovery.columns else "active"
    joined = discovery[discovery["trial_id"].isin(done["trial_id"])]
    joined = joined[joined[column].notna()]
    shares = joined.assign(used=joined[column].astype("float64")).groupby("generator")["used"]
    return {key: float(value) for key, value in shares.mean().items()}


def data_verdict(verdicts: Any, tests: Any, true_group: str | None) -> dict[str, Any] | None:
    """The headline: the most general tested candidate's discovered group (what most repeats
    span), the generators present and absent, and whether it matches the declared group."""
    if verdicts is None or verdicts.empty:
        return None
    sizes = verdicts.groupby("candidate_group")["generator"].count()
    candidate = sorted(sizes.index, key=lambda c: (-sizes[c], c))[0]
    own = verdicts[verdicts["candidate_group"] == candidate]
    groups = tests[tests["candidate_group"] == candidate].drop_duplicates("test_seed")
    counts = groups["discovered_group"].value_counts()
    found = counts.index[0]
    correct = None if own["correct"].isna().any() else bool(own["correct"].all())
    return {
        "discovered_group": found,
        "candidate": candidate,
        "repeats": len(groups),
        "agreeing": int(counts.iloc[0]),
        "present": _summaries(own, "present"),
        "absent": list(own.loc[own["verdict"] == "absent", "generator"]),
        "undecided": list(own.loc[own["verdict"] == "undecided", "generator"]),
        "true_group": true_group,
        "correct": correct,
    }


def _summaries(own: Any, verdict: str) -> list[str]:
    """'rot (p = 4e-45, extent 180 degrees)' for each generator with this verdict."""
    chosen = own[own["verdict"] == verdict]
    return [
        f"{r.generator} (p = {r.p_value:.2g}, extent {r.extent:.3g} {r.extent_unit})"
        for r in chosen.itertuples()
    ]


# -- what served the task ---------------------------------------------------------------------


def candidate_summary(trials: Any) -> Any:
    """Per candidate (CANDIDATE_COLUMNS): its trials that ran out or were stopped by the
    scheduler (their metric where they stopped), the best validation metric and its 95%
    interval (Wilson over the validation examples for an accuracy; else none)."""
    import pandas as pd

    done = task_trials(trials, stopped=True)
    if done.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    ascending = _mode(trials) == "min"
    ranked = done.sort_values(["val_metric", "trial_id"], ascending=[ascending, True])
    rows = []
    for candidate, group in ranked.groupby("candidate_group", sort=False):
        best = group.iloc[0]
        low, high = _metric_interval(best)
        rows.append(
            {
                "candidate_group": candidate,
                "trials": len(group),
                "best_val_metric": float(best["val_metric"]),
                "val_low": low,
                "val_high": high,
                "best_trial": best["trial_id"],
                "best_status": best["status"],
                "discovered_group": best.get("discovered_group"),
                "model_group": best.get("model_group"),
            }
        )
    return pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)


def encoding_effect(candidates: Any, found: str | None, mode: str) -> str | None:
    """Did encoding the discovered group help the task? Its candidate (by name) against the
    trivial one, by their intervals: helped, hurt, or no clear difference."""
    if found is None or candidates is None or candidates.empty:
        return None
    by_name = candidates.set_index("candidate_group")
    if found not in by_name.index or "trivial" not in by_name.index or found == "trivial":
        return None
    own, base = by_name.loc[found], by_name.loc["trivial"]
    if any(
        math.isnan(v) for v in (own["val_low"], own["val_high"], base["val_low"], base["val_high"])
    ):
        return None
    above, below = own["val_low"] > base["val_high"], own["val_high"] < base["val_low"]
    better, worse = (above, below) if mode == "max" else (below, above)
    word = "helped" if better else ("hurt" if worse else "made no clear difference")
    return (
        f"Encoding {found} {word}: best validation {own['best_val_metric']:.4g} "
        f"[{own['val_low']:.3g}, {own['val_high']:.3g}] against "
        f"{base['best_val_metric']:.4g} [{base['val_low']:.3g}, {base['val_high']:.3g}] "
        f"without symmetry (trivial)."
    )


def _metric_interval(best: Any) -> tuple[float, float]:
    size = best.get("val_size")
    if best.get("metric_name") != "accuracy" or size is None or _missing(size):
        return math.nan, math.nan
    size = int(size)
    return wilson_interval(round(float(best["val_metric"]) * size), size)


def _mode(trials: Any) -> str:
    modes = trials["metric_mode"].dropna().unique()
    return str(modes[0]) if len(modes) else "max"


def _missing(value: Any) -> bool:
    try:
        return bool(value != value)  # NaN and pandas NA
    except TypeError:
        return True


def _first(values: Any) -> Any:
    values = values.dropna()
    if not len(values):
        return None
    value = values.iloc[0]
    return bool(value) if isinstance(value, bool) or str(value) in ("True", "False") else value
