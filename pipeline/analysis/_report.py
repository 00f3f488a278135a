"""report.md: the discovered symmetry in one sentence, then the tables and plots (report.html,
the same in one self-contained file: _html.py)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


def verdict_sentence(verdict: dict[str, Any], metric_name: str) -> str:
    """The report's headline: what the data have (the data test), then what served the task."""
    if verdict.get("evidence") == "data test":
        return _data_sentence(verdict) + _task_sentence(verdict, metric_name)
    if verdict.get("discovered_group") is None:
        return f"No symmetry can be reported: {verdict.get('reason', 'no evidence')}."
    match = "matches" if verdict["correct"] else "does not match"
    return (
        f"**The trials' learned widths report {verdict['discovered_group']}** (no data test ran "
        f"in this sweep: `discovery: widths`). The best candidate group, {verdict['winner']} "
        f"(best validation {metric_name} {verdict['winner_val_metric']:.4g}), used it in "
        f"{verdict['agreement']:.0%} of its {verdict['winner_trials']} completed trials. The "
        f"data's declared group is {verdict['true_group']}; its best trial's discovery {match} "
        f"the part of it that {verdict['winner']} can express."
    )


def _data_sentence(verdict: dict[str, Any]) -> str:
    found, repeats = verdict["discovered_group"], verdict["repeats"]
    parts = [
        f"**The data have {found}**: the data test along every generator of "
        f"{verdict['candidate']} ({verdict['agreeing']} of {repeats} "
        f"repeat{'s' if repeats != 1 else ''} agree)"
    ]
    if verdict["present"]:
        parts.append(f"found {', '.join(verdict['present'])} present")
    if verdict["absent"]:
        parts.append(f"{', '.join(verdict['absent'])} absent")
    if verdict["undecided"]:
        parts.append(f"{', '.join(verdict['undecided'])} undecided")
    sentence = "; ".join(parts) + "."
    truth = verdict.get("true_group")
    if truth and verdict.get("correct") is not None:
        sentence += (
            f" This matches the declared group, {truth}."
            if verdict["correct"]
            else f" The declared group is {truth}: this does not match it."
        )
    return sentence


def _task_sentence(verdict: dict[str, Any], metric_name: str) -> str:
    if not verdict.get("winner"):
        return " No trial completed, so nothing says which candidate serves the task."
    sentence = (
        f" For the task, {verdict['winner']} served best (best validation "
        f"{metric_name} {verdict['winner_val_metric']:.4g})."
    )
    return sentence + (f" {verdict['encoding']}" if verdict.get("encoding") else "")


def markdown_table(frame: Any, columns: list[str] | None = None, limit: int = 40) -> str:
    if frame is None or len(frame) == 0:
        return "(no rows)\n"
    columns = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for _, row in frame.head(limit).iterrows():
        lines.append("| " + " | ".join(_cell(row[c]) for c in columns) + " |")
    more = f"\n({len(frame) - limit} more rows in the CSV)\n" if len(frame) > limit else "\n"
    return "\n".join(lines) + more


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    try:
        import pandas as pd

        if pd.isna(value):
            return "-"
    except (TypeError, ValueError):
        pass
    return str(value)


def verdict_display(verdicts: Any) -> Any:
    """The per-generator verdict as readable columns (report.md and the terminal)."""
    import pandas as pd

    from_test = "repeats" in verdicts.columns
    rows = []
    for _, v in verdicts.iterrows():
        row = {"generator": v["generator"], "verdict": v["verdict"]}
        if from_test:
            row.update(
                {
                    "tested within": v["candidate_group"],
                    "repeats agreeing": f"{v['agreeing']} of {v['repeats']}",
                    "95% interval": f"[{v['agreement_low']:.2f}, {v['agreement_high']:.2f}]",
                    "p-value": _cell(v["p_value"]),
                    "extent": _extent(v),
                    "used by the model": _share(v["used_by_model"]),
                }
            )
        else:
            row.update(
                {
                    "seeds agreeing": f"{v['agreeing']} of {v['seeds']}",
                    "95% interval": f"[{v['agreement_low']:.2f}, {v['agreement_high']:.2f}]",
                    "extent": _extent(v),
                    "evidence": v["evidence"],
                    "candidate (best val)": (
                        f"{v['candidate_group']} ({v['candidate_val_metric']:.4g})"
                    ),
                }
            )
        row["truth"] = _truth(v["true_present"], v["correct"])
        rows.append(row)
    frame = pd.DataFrame(rows)
    if len(verdicts) and verdicts["dataset"].nunique() > 1:
        frame.insert(0, "dataset", list(verdicts["dataset"]))
    return frame


def _extent(v: Any) -> str:
    import pandas as pd

    extent = "-" if v["extent"] is None or pd.isna(v["extent"]) else f"{v['extent']:.4g}"
    if extent != "-" and v["extent_std"] is not None and not pd.isna(v["extent_std"]):
        extent += f" ± {v['extent_std']:.2g}"
    if extent != "-" and isinstance(v["extent_unit"], str):
        extent += f" {v['extent_unit']}"
    return extent


def _share(value: Any) -> str:
    return "-" if _cell(value) == "-" else f"{float(value):.0%} of trials"


def _truth(true_present: Any, correct: Any) -> str:
    if true_present is None or _cell(true_present) == "-":
        return "-"
    truth = "present" if true_present else "absent"
    return (
        truth
        if correct is None or _cell(correct) == "-"
        else f"{truth} ({'right' if correct else 'wrong'})"
    )


def text_table(frame: Any) -> str:
    """A plain aligned table for the terminal."""
    if frame is None or len(frame) == 0:
        return "(no generators)"
    columns = list(frame.columns)
    cells = [[str(c) for c in columns]] + [
        [_cell(row[c]) for c in columns] for _, row in frame.iterrows()
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in cells
    )


COLUMNS = {
    "discovery_summary": [
        "candidate_group",
        "prior",
        "tolerance",
        "symmetry_breaking",
        "trials",
        "completed",
        "stopped",
        "failed",
        "discovery_accuracy",
        "discovered_group",
        "discovered_share",
        "best_val_metric",
        "mean_cosine",
    ],
    "discovery_widths": [
        "candidate_group",
        "generator",
        "trials",
        "mean_normalized_width",
        "std_normalized_width",
        "active_share",
        "true_active",
    ],
    "robustness_summary": [
        "candidate_group",
        "source",
        "shift",
        "averaged",
        "at_zero",
        "in_support_mean",
        "out_of_support_mean",
        "worst",
        "auc",
        "gap",
    ],
    "search_summary": [
        "trial_number",
        "trial_id",
        "candidate_group",
        "role",
        "status",
        "val_metric",
        "best_so_far",
        "cumulative_epochs",
    ],
}


VERDICT_RULE = (
    "Per generator: the data test (a two-sample test of the data against the data moved along "
    "the generator, fitted and scored on the training and validation splits) of each tested "
    "candidate, run once per sweep; the verdict is what most repeats say, with the share that "
    "agree and its 95% Wilson interval, the median p-value and the extent (mean ± standard "
    "deviation over the agreeing repeats). 'Used by the model' is the share of that "
    "candidate's completed trials whose learned width was active: what the models came to "
    "tolerate, not what the data have (full table: generator_verdicts.csv).\n"
)
WIDTHS_RULE = (
    "Per generator (no data test ran: `discovery: widths`): among the candidate groups that "
    "have it, the one whose best trial has the best validation {metric}; each seed votes with "
    "its best trial of that candidate (a trial at chance never votes); the verdict is the "
    "majority, with the seeds that agree and the 95% Wilson interval of that share "
    "(generator_verdicts.csv).\n"
)


def verdict_rule(verdict: dict[str, Any], metric_name: str) -> str:
    rule = VERDICT_RULE if verdict.get("evidence") == "data test" else WIDTHS_RULE
    return rule.format(metric=metric_name)


CURVE_TEXT = {
    "tv_curves": (
        "The data test's TV curves: per generator, the total variation between the data and "
        "the data moved by each step of the grid, one curve per repeat; the dashed vertical "
        "line marks the repeat's extent (how far the data are unchanged; tv_curves.csv)."
    ),
    "learning_curves": (
        "Learning curves: the validation metric per epoch of each candidate group's best "
        "trial; the discovery strategy's probe (a short trial that reads the data, not a "
        "candidate) is drawn apart, black and dotted (learning_curves.csv)."
    ),
    "width_curves": (
        "Width over epochs: per generator, the normalized learned width per epoch of each "
        "candidate's best trial (and of the probe, drawn apart); the dashed line is where a "
        "width reads active (width_curves.csv)."
    ),
}


def curve_section(key: str, tables: dict[str, Any]) -> list[str]:
    """A curve figure's paragraph and PNG (nothing where the sweep stored no such curve)."""
    frame = tables.get(key)
    if frame is None or len(frame) == 0:
        return []
    return [CURVE_TEXT[key] + "\n", f"![{key.replace('_', ' ')}]({key}.png)\n"]


def pareto_section(front: Any) -> list[str]:
    """The multi-objective sweep's Pareto front (nothing for a sweep without robustness)."""
    if front is None or len(front) == 0:
        return []
    return [
        "## Accuracy and robustness: the Pareto front\n",
        "Completed trials no other trial beats on both validation metric and robustness "
        "(on_front), then the rest (all in pareto_front.csv):\n",
        markdown_table(front),
        "![pareto](pareto.png)\n",
    ]


def write_report(
    path: Path,
    sweep: str,
    store: str,
    verdict: dict[str, Any],
    tables: dict[str, Any],
    notes: dict[str, str],
    metric_name: str,
    study_plots: list[Path] | None = None,
) -> Path:
    candidates = ", ".join(f"{c} {v:.4g}" for c, v in verdict.get("candidates", {}).items())
    table = lambda name: markdown_table(tables[name], COLUMNS.get(name))  # noqa: E731
    sections = [
        f"# Sweep `{sweep}`: analysis\n",
        verdict_sentence(verdict, metric_name) + "\n",
        "## Which symmetries the data have\n",
        markdown_table(verdict_display(tables["generator_verdicts"])),
        verdict_rule(verdict, metric_name),
        *curve_section("tv_curves", tables),
        "## Which candidate served the task\n",
        f"Best validation {metric_name} per candidate group ({candidates or '-'}), with its 95% "
        "interval (Wilson over the validation examples, for an accuracy); `model_group` is "
        "what the best trial's learned widths span (what the model uses):\n",
        markdown_table(tables.get("candidate_summary")),
        f"Store: `{store}`.\n",
        *curve_section("learning_curves", tables),
        "## Discovery (learned widths)\n",
        table("discovery_summary"),
        "Mean normalized width per generator over completed trials (active from 0.5):\n",
        table("discovery_widths"),
        "![widths](widths.png)\n",
        *curve_section("width_curves", tables),
        "## Robustness under distribution shift\n",
        f"Test {metric_name} on test sets moved along each generator, for the best trial of each "
        "candidate (below; all trials in robustness_summary.csv), with and without test-time "
        "averaging. In-support shifts are those the training data already contained.\n",
        markdown_table(_best_rows(tables["robustness_summary"]), COLUMNS["robustness_summary"]),
        "![robustness](robustness.png)\n",
        "## Tolerance and averaging cost\n",
        table("tolerance_summary"),
        "![tolerance](tolerance.png)\n",
        "## Search\n",
        table("search_summary"),
        "![best so far](best_so_far.png)\n",
        "Optuna parameter importances:\n",
        notes.get("importances") or table("param_importances"),
        *(f"![{plot.stem.replace('_', ' ')}]({plot.name})\n" for plot in study_plots or []),
        notes.get("study_plots", ""),
        *pareto_section(tables.get("pareto_front")),
    ]
    path.write_text("\n".join(s if s.endswith("\n") else s + "\n" for s in sections))
    return path


def _best_rows(summary: Any) -> Any:
    if summary is None or len(summary) == 0:
        return summary
    return summary[summary["trials"] == "best"]
