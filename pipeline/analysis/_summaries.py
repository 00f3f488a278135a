"""The analyses: discovery, robustness, tolerance and search summaries.

``trials`` is small (a row per trial) and arrives as pandas; the per-epoch, per-generator and
per-shift tables are Dask DataFrames, reduced by group-bys whose results are small. Each summary
returns lazy Dask objects (``plan_*``) and a pandas finisher (``finish_*``), so one
``dask.compute`` reads every table once.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from pipeline.errors import TrialStatus

CONFIG = ["dataset", "true_group", "candidate_group", "prior", "tolerance", "symmetry_breaking"]
TRIAL_COLUMNS = ["trial_id", *CONFIG, "status", "val_metric", "metric_mode"]
CURVE = ["candidate_group", "source", "shift", "unit", "averaged"]


def _better(mode: str) -> str:
    return "max" if mode == "max" else "min"


def metric_mode(trials: Any) -> str:
    modes = trials["metric_mode"].dropna().unique()
    return str(modes[0]) if len(modes) else "max"


def probe_ids(trials: Any) -> set[str]:
    """Trials that were the discovery strategy's one-epoch probe (configs with the test forced
    on and fewer epochs than every other trial of the sweep)."""
    if "config_json" not in trials.columns:
        return set()
    configs = {
        row.trial_id: json.loads(row.config_json if isinstance(row.config_json, str) else "{}")
        for row in trials[["trial_id", "config_json"]].itertuples()
    }
    epochs = [c.get("epochs") for c in configs.values() if c.get("epochs") is not None]
    if len(set(epochs)) < 2:
        return set()
    fewest = min(epochs)
    return {
        t
        for t, c in configs.items()
        if c.get("epochs") == fewest and c.get("discovery") == "test" and fewest == 1
    }


def task_trials(trials: Any, stopped: bool = False) -> Any:
    """Completed (``stopped``: or stopped by the scheduler) trials with a validation metric,
    probes left out."""
    ended = [TrialStatus.COMPLETED, *([TrialStatus.STOPPED] if stopped else [])]
    done = trials[trials["status"].isin(ended) & trials["val_metric"].notna()]
    return done[~done["trial_id"].isin(probe_ids(trials))]


def best_trials(trials: Any) -> Any:
    """The best completed trial of each candidate group (by validation metric; no probe)."""
    done = task_trials(trials)
    ascending = metric_mode(trials) == "min"
    ranked = done.sort_values(["val_metric", "trial_id"], ascending=[ascending, True])
    return ranked.drop_duplicates("candidate_group").set_index("candidate_group")


# -- discovery ----------------------------------------------------------------------------------


def plan_discovery(trials: Any, discovery: Any) -> dict[str, Any]:
    joined = discovery.merge(trials[TRIAL_COLUMNS], on="trial_id", how="inner")
    completed = joined[joined["status"] == TrialStatus.COMPLETED]
    completed = completed.assign(
        active_f=completed["active"].astype("float64"),
        width=completed["normalized_width"].astype("float64"),
        cos=completed["cosine"].astype("float64"),
    )
    keys = [*CONFIG, "generator"]
    grouped = completed.groupby(keys, dropna=False)
    return {
        "widths": grouped.agg(
            trials=("trial_id", "count"),
            mean_normalized_width=("width", "mean"),
            std_normalized_width=("width", "std"),
            active_share=("active_f", "mean"),
            true_active=("true_active", "first"),
        ),
        "cosine": completed.groupby(CONFIG, dropna=False)["cos"].mean(),
    }


def finish_discovery(trials: Any, computed: dict[str, Any]) -> tuple[Any, Any]:
    """(discovery_summary, discovery_widths) as pandas."""
    import pandas as pd

    rows = []
    better = _better(metric_mode(trials))
    for key, group in trials.groupby(CONFIG, dropna=False, sort=True):
        done = group[group["status"] == TrialStatus.COMPLETED]
        found = done["discovered_group"].value_counts()
        rows.append(
            {
                **dict(zip(CONFIG, key, strict=True)),
                "trials": len(group),
                "completed": len(done),
                "stopped": int((group["status"] == TrialStatus.STOPPED).sum()),
                "failed": int((group["status"] == TrialStatus.FAILED).sum()),
                "discovery_accuracy": done["discovery_correct"].astype("float64").mean()
                if len(done)
                else None,
                "best_val_metric": getattr(group["val_metric"].dropna(), better)()
                if group["val_metric"].notna().any()
                else None,
                "discovered_group": found.index[0] if len(found) else None,
                "discovered_share": found.iloc[0] / len(done) if len(found) else None,
            }
        )
    summary = pd.DataFrame(rows).astype({c: trials[c].dtype for c in CONFIG})
    cosine = computed["cosine"].rename("mean_cosine").reset_index()
    summary = summary.merge(cosine, on=CONFIG, how="left") if len(summary) else summary
    widths = computed["widths"].reset_index().sort_values([*CONFIG, "generator"])
    return summary, widths.reset_index(drop=True)


def sweep_verdict(trials: Any) -> dict[str, Any]:
    """The group the sweep as a whole reports as discovered, and the evidence.

    Rule: the winning candidate is the one whose best completed trial has the best validation
    metric; the sweep reports the discovered group most of the winner's completed trials agree
    on (ties go to its best trial's). ``agreement`` is that share.
    """
    best = best_trials(trials)
    if best.empty:
        return {"discovered_group": None, "reason": "no completed trial"}
    ascending = metric_mode(trials) == "min"
    winner = best.sort_values("val_metric", ascending=ascending).index[0]
    done = trials[
        (trials["candidate_group"] == winner) & (trials["status"] == TrialStatus.COMPLETED)
    ]
    counts = done["discovered_group"].value_counts()
    if counts.empty:  # each trial's metric stayed at chance: none claimed a discovery
        return {
            "discovered_group": None,
            "winner": winner,
            "reason": f"no trial of the best candidate, {winner}, learned better than chance",
        }
    top = counts[counts == counts.max()].index
    found = (
        best.loc[winner, "discovered_group"]
        if best.loc[winner, "discovered_group"] in top
        else top[0]
    )
    true_group = best.loc[winner, "true_group"]
    return {
        "discovered_group": found,
        "winner": winner,
        "winner_val_metric": float(best.loc[winner, "val_metric"]),
        "agreement": float(counts[found] / len(done)),
        "winner_trials": len(done),
        "true_group": true_group,
        "correct": _flag(best.loc[winner, "discovery_correct"]),
        "candidates": {c: float(v) for c, v in best["val_metric"].items()},
    }


def _flag(value: Any) -> bool | None:
    import pandas as pd

    return None if pd.isna(value) else bool(value)


# -- robustness ---------------------------------------------------------------------------------


def plan_robustness(trials: Any, robustness: Any) -> dict[str, Any]:
    columns = ["trial_id", "candidate_group", "status"]
    joined = robustness.merge(trials[columns], on="trial_id", how="inner")
    joined = joined[joined["status"] == TrialStatus.COMPLETED]
    joined = joined.assign(value=joined["metric"].astype("float64"))
    curves = joined.groupby([*CURVE, "magnitude", "in_support"], dropna=False).agg(
        mean_metric=("value", "mean"), trials=("trial_id", "count")
    )
    best_ids = list(best_trials(trials)["trial_id"])
    best = joined[joined["trial_id"].isin(best_ids)][[*CURVE, "magnitude", "in_support", "value"]]
    return {"curves": curves, "best": best}


def finish_robustness(trials: Any, computed: dict[str, Any]) -> tuple[Any, Any]:
    """(robustness_curves, robustness_summary): curves per magnitude for all trials and for the
    best trial of each candidate; per curve the in/out-of-support means, worst case, AUC, gap."""
    import pandas as pd

    keys = [*CURVE, "magnitude", "in_support"]
    curves = computed["curves"].reset_index()
    best = computed["best"].groupby(keys, dropna=False)["value"].mean().rename("best_trial_metric")
    curves = curves.merge(best.reset_index(), on=keys, how="left").sort_values(keys)
    mode = metric_mode(trials)
    rows = []
    for key, curve in curves.groupby(CURVE, dropna=False, sort=True):
        for which, column in (("all", "mean_metric"), ("best", "best_trial_metric")):
            values = curve[["magnitude", "in_support", column]].dropna(subset=[column])
            if values.empty:
                continue
            rows.append(
                {
                    **dict(zip(CURVE, key, strict=True)),
                    "trials": which,
                    **curve_figures(values, column, mode),
                }
            )
    return curves.reset_index(drop=True), pd.DataFrame(rows)


def curve_figures(curve: Any, column: str, mode: str) -> dict[str, float | None]:
    """In/out-of-support means, worst case, normalized AUC and the gap from no shift."""
    import numpy as np

    curve = curve.sort_values("magnitude")
    x, y = curve["magnitude"].to_numpy(float), curve[column].to_numpy(float)
    inside = curve["in_support"].fillna(True).to_numpy(bool)
    span = x[-1] - x[0]
    auc = float(np.trapezoid(y, x) / span) if span > 0 else float(y[0])
    out_mean = float(y[~inside].mean()) if (~inside).any() else None
    return {
        "at_zero": float(y[0]),
        "in_support_mean": float(y[inside].mean()),
        "out_of_support_mean": out_mean,
        "worst": float(y.min() if mode == "max" else y.max()),
        "auc": auc,
        "gap": float(y[0] - out_mean) if out_mean is not None else None,
    }


# -- tolerance and search ------------------------------------------------------------------------


def tolerance_summary(trials: Any) -> Any:
    """Per (candidate, tolerance): averaging cost and error, and the share of trials whose
    averaging set met the tolerance (``tolerance_met``: false where a cap overrode it)."""
    done = trials[trials["status"] == TrialStatus.COMPLETED]
    numbers = [
        "n_samples",
        "equivariance_error",
        "model_equivariance_error",
        "eval_seconds",
        "test_metric",
    ]
    done = done.assign(
        **{c: done[c].astype("float64") for c in numbers},
        tolerance_met=_share_column(done, "tolerance_met"),
    )
    grouped = done.groupby(["candidate_group", "tolerance"], dropna=False)
    summary = grouped.agg(
        trials=("trial_id", "count"),
        n_samples=("n_samples", "mean"),
        equivariance_error=("equivariance_error", "mean"),
        equivariance_error_std=("equivariance_error", "std"),
        model_equivariance_error=("model_equivariance_error", "mean"),
        eval_seconds=("eval_seconds", "mean"),
        test_metric=("test_metric", "mean"),
        tolerance_met=("tolerance_met", "mean"),
    )
    return summary.reset_index()


def _share_column(frame: Any, column: str) -> Any:
    """A boolean column as 1.0/0.0 floats (missing: NaN, so means skip it); all NaN when an
    older store has no such column."""
    if column not in frame:
        return float("nan")
    return frame[column].map({True: 1.0, False: 0.0}).astype("float64")


def plan_epochs(epochs: Any) -> Any:
    """Epochs each trial trained (its latest rows), for best-so-far against trial-epochs."""
    return epochs.groupby("trial_id")["epoch"].count()


def search_summary(trials: Any, epochs_per_trial: Any) -> Any:
    """Best-so-far in the order trials finished, against trials and against trial-epochs;
    ``role``: the discovery strategy's probe, or a trial."""
    ordered = trials.sort_values(["finished_at", "trial_id"]).reset_index(drop=True)
    spent = epochs_per_trial.reindex(ordered["trial_id"]).fillna(0).astype(int).to_numpy()
    values = ordered["val_metric"].astype("float64").where(ordered["status"] != TrialStatus.FAILED)
    best = values.cummax() if metric_mode(trials) == "max" else values.cummin()
    probes = ordered["trial_id"].isin(probe_ids(trials))
    return ordered[["trial_id", "candidate_group", "status"]].assign(
        role=probes.map({True: "probe", False: "trial"}).to_numpy(),
        trial_number=range(1, len(ordered) + 1),
        val_metric=values.to_numpy(),
        best_so_far=best.to_numpy(),
        trial_epochs=spent,
        cumulative_epochs=spent.cumsum(),
    )


def load_study(study: str | Path | None, sweep: str) -> tuple[Any, str | None]:
    """The sweep's Optuna study from ``study`` (an Optuna storage URL, or a SQLite file), or
    None and why not: a missing or unreachable study is a note in the report, never a failure
    of the analysis."""
    if study is None or (isinstance(study, Path) and not study.is_file()):
        return None, "no Optuna study for this sweep"
    import optuna
    from sqlalchemy.exc import SQLAlchemyError  # Optuna's RDB storage: a database that is down

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = f"sqlite:///{study}" if isinstance(study, Path) else study
    if url.startswith("sqlite:///"):  # read-only, and never a new file where none is
        path = Path(url.removeprefix("sqlite:///").split("?")[0])
        if not path.is_file():
            return None, "no Optuna study for this sweep"
        url = f"sqlite:///file:{path}?mode=ro&uri=true"
    try:
        storage = optuna.storages.RDBStorage(url, skip_table_creation=True)  # creates nothing
        return optuna.load_study(study_name=sweep, storage=storage), None
    except KeyError:
        return None, "no Optuna study for this sweep"
    except (
        ValueError,
        RuntimeError,
        ImportError,
        OSError,
        SQLAlchemyError,
        optuna.exceptions.StorageInternalError,
    ) as error:
        if isinstance(error, optuna.exceptions.StorageInternalError):  # the database's own
            error = error.__cause__ or error.__context__ or error
        reason = (str(error).splitlines() or [""])[0]
        return None, f"not available ({type(error).__name__}: {reason})"


def param_importances(study: Any, why: str | None) -> tuple[Any, str | None]:
    """Optuna's parameter importances for the sweep's study (``load_study``'s answer: the
    study, or None and why not), or why there are none."""
    import pandas as pd

    empty = pd.DataFrame(columns=["parameter", "importance"])
    if study is None:
        return empty, why
    import optuna

    try:
        with warnings.catch_warnings():  # few trials per regime: the report says how many ran
            warnings.simplefilter("ignore", UserWarning)
            found = optuna.importance.get_param_importances(study)
    except (ValueError, RuntimeError, KeyError) as error:
        return empty, f"not available ({error})"
    rows = [{"parameter": k, "importance": float(v)} for k, v in found.items()]
    return pd.DataFrame(rows, columns=["parameter", "importance"]), None
