"""report.md: the discovered symmetry in one sentence, then the tables and plots (report.html,
the same in one self-contained file: _html.py)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


def verdict_sentence(verdict: dict[str, Any], metric_name: str) -> str:
    if verdict.get("discovered_group") is None:
        return f"No symmetry can be reported: {verdict.get('reason', 'no evidence')}."
    match = "matches" if verdict["correct"] else "does not match"
    return (
        f"**The sweep reports {verdict['discovered_group']} as the discovered symmetry.** The "
        f"best candidate group, {verdict['winner']} (best validation {metric_name} "
        f"{verdict['winner_val_metric']:.4g}), discovered it in {verdict['agreement']:.0%} of "
        f"its {verdict['winner_trials']} completed trials. The data's true group is "
        f"{verdict['true_group']}; its best trial's discovery {match} the part of it that "
        f"{verdict['winner']} can express."
    )


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

    rows = []
    for _, v in verdicts.iterrows():
        extent = "-" if v["extent"] is None or pd.isna(v["extent"]) else f"{v['extent']:.4g}"
        if extent != "-" and v["extent_std"] is not None and not pd.isna(v["extent_std"]):
            extent += f" ± {v['extent_std']:.2g}"
        if extent != "-" and isinstance(v["extent_unit"], str):
            extent += f" {v['extent_unit']}"
        rows.append({
            "generator": v["generator"], "verdict": v["verdict"],
            "seeds agreeing": f"{v['agreeing']} of {v['seeds']}",
            "95% interval": f"[{v['agreement_low']:.2f}, {v['agreement_high']:.2f}]",
            "extent": extent, "evidence": v["evidence"],
            "candidate (best val)": f"{v['candidate_group']} ({v['candidate_val_metric']:.4g})",
            "truth": _truth(v["true_present"], v["correct"]),
        })  # fmt: skip
    frame = pd.DataFrame(rows)
    if verdicts["dataset"].nunique() > 1:
        frame.insert(0, "dataset", list(verdicts["dataset"]))
    return frame


def _truth(true_present: Any, correct: Any) -> str:
    if true_present is None or _cell(true_present) == "-":
        return "-"
    truth = "present" if true_present else "absent"
    return truth if correct is None or _cell(correct) == "-" else \
        f"{truth} ({'right' if correct else 'wrong'})"  # fmt: skip


def text_table(frame: Any) -> str:
    """A plain aligned table for the terminal."""
    if frame is None or len(frame) == 0:
        return "(no generators)"
    columns = list(frame.columns)
    cells = [[str(c) for c in columns]] + [[_cell(row[c]) for c in columns]
                                           for _, row in frame.iterrows()]  # fmt: skip
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
                     .rstrip() for line in cells)  # fmt: skip


COLUMNS = {
    "discovery_summary": ["candidate_group", "prior", "tolerance", "symmetry_breaking", "trials",
                          "completed", "stopped", "failed", "discovery_accuracy",
                          "discovered_group", "discovered_share", "best_val_metric",
                          "mean_cosine"],
    "discovery_widths": ["candidate_group", "generator", "trials", "mean_normalized_width",
                         "std_normalized_width", "active_share", "true_active"],
    "robustness_summary": ["candidate_group", "source", "shift", "averaged", "at_zero",
                           "in_support_mean", "out_of_support_mean", "worst", "auc", "gap"],
    "search_summary": ["trial_number", "trial_id", "candidate_group", "status", "val_metric",
                       "best_so_far", "cumulative_epochs"],
}  # fmt: skip


VERDICT_RULE = (
    "Per generator: among the candidate groups that have it, the one whose best trial has the "
    "best validation {metric}; each seed votes with its best trial of that candidate (the "
    "test's `present` where it ran, else the learned width's `active`); the verdict is the "
    "majority, with the number of seeds that agree and the 95% Wilson interval of that share, "
    "and the extent's mean ± standard deviation over seeds (full table: "
    "generator_verdicts.csv).\n"
)


def pareto_section(front: Any) -> list[str]:
    """The multi-objective sweep's Pareto front (nothing for a sweep without robustness)."""
    if front is None or len(front) == 0:
        return []
    return ["## Accuracy and robustness: the Pareto front\n",
            "Completed trials no other trial beats on both validation metric and robustness "
            "(on_front), then the rest (all in pareto_front.csv):\n",
            markdown_table(front), "![pareto](pareto.png)\n"]  # fmt: skip


def write_report(
    path: Path, sweep: str, store: str, verdict: dict[str, Any], tables: dict[str, Any],
    notes: dict[str, str], metric_name: str, study_plots: list[Path] | None = None,
) -> Path:  # fmt: skip
    candidates = ", ".join(f"{c} {v:.4g}" for c, v in verdict.get("candidates", {}).items())
    table = lambda name: markdown_table(tables[name], COLUMNS.get(name))  # noqa: E731
    sections = [
        f"# Sweep `{sweep}`: analysis\n",
        markdown_table(verdict_display(tables["generator_verdicts"])),
        VERDICT_RULE.format(metric=metric_name),
        verdict_sentence(verdict, metric_name) + "\n",
        f"How the evidence is combined: the winning candidate is the one whose best completed "
        f"trial has the best validation {metric_name} (best per candidate: {candidates or '-'}); "
        f"the sweep reports the discovered group most of that candidate's completed trials agree "
        f"on. Store: `{store}`.\n",
        "## Discovery\n",
        table("discovery_summary"),
        "Mean normalized width per generator over completed trials (active from 0.5):\n",
        table("discovery_widths"),
        "![widths](widths.png)\n",
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
