"""Is the quickstart's answer right by default? The README's main job, ten times.

Each run is ``symsearch sweep search_spaces/quickstart.yaml`` then ``symsearch analyze`` with
nothing changed but ``searcher_seed`` and the data test's ``test_seed`` (both = the run's
seed, 0-9), through the Python API on one local Ray. A run is right when the report's headline
names SO2 (``**The data have SO2**``) and its verdict table says rot present and tx, ty, scale,
stretch and shear absent. Prints one line per run, then

    quickstart_correct: K/10
    data_test_seconds: median of the sweeps' data tests (the test runs once per sweep)
    trial_seconds: median of a trial's total seconds
    saved_seconds: what testing in every trial would cost on top (the trials that read the
                   test, times its median cost), over the whole runs' trials

Target: K >= 9. Run: ``python bench/quickstart_verdict.py [--runs 10] [--first 0]``; a test
judges seed 0, the README's command verbatim
(tests/test_bench_quickstart_verdict.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPACE = ROOT / "search_spaces" / "quickstart.yaml"
PRESENT, ABSENT = {"rot"}, {"tx", "ty", "scale", "stretch", "shear"}


def run_once(seed: int, work: Path) -> dict[str, Any]:
    """One quickstart sweep and its analysis; what the report says and what it cost."""
    import pipeline

    store = str(work / "store")
    sweep = pipeline.sweep(
        SPACE, name=f"quickstart{seed}", store=store, searcher_seed=seed, test_seed=seed
    )
    return judge(sweep, work / f"analysis{seed}", seed)


def judge(sweep: Any, out: Path, seed: int = 0) -> dict[str, Any]:
    """Whether a finished quickstart sweep's analysis names SO2 with rot present and the rest
    absent, and what its data test and trials cost."""
    analysis = sweep.analyze(out)
    report = analysis.report.read_text()
    table = analysis.tables["generator_verdicts"]
    tested = table[table["candidate_group"] == analysis.verdict.get("candidate")]
    said = dict(zip(tested["generator"], tested["verdict"], strict=True))
    right = (
        "**The data have SO2**" in report
        and all(said.get(g) == "present" for g in PRESENT)
        and all(said.get(g) == "absent" for g in ABSENT)
    )
    tests = sweep.data_tests()
    trials = sweep.trials()
    return {
        "seed": seed,
        "right": right,
        "headline": analysis.sentence.split("**")[1],
        "verdicts": said,
        "test_seconds": _test_seconds(tests),
        "trial_seconds": list(trials["total_seconds"].dropna()),
        "reading_trials": int(trials["data_test_id"].notna().sum()),
    }


def _test_seconds(tests: Any) -> list[float]:
    """Each stored data test's run time (a row's seconds: its repeat's time so far)."""
    return [float(group["seconds"].max()) for _, group in tests.groupby("trial_id")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--first", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        os.environ["SYMSEARCH_OUTPUTS"] = str(Path(folder) / "outputs")
        for seed in range(args.first, args.first + args.runs):
            result = run_once(seed, Path(folder))
            results.append(result)
            print(
                f"seed {seed}: {'right' if result['right'] else 'WRONG'}: "
                f"{result['headline']}; {result['verdicts']}",
                flush=True,
            )
    ray.shutdown()
    report(results)


def report(results: list[dict[str, Any]]) -> None:
    correct = sum(r["right"] for r in results)
    tests = [s for r in results for s in r["test_seconds"]]
    trials = [s for r in results for s in r["trial_seconds"]]
    reading = sum(r["reading_trials"] for r in results)
    print(f"quickstart_correct: {correct}/{len(results)}")
    if tests and trials:
        per_test, per_trial = statistics.median(tests), statistics.median(trials)
        ran = len(tests)
        print(f"data_test_seconds: {per_test:.1f} (median of {ran} tests, once per sweep)")
        print(f"trial_seconds: {per_trial:.1f} (median of {len(trials)} trials)")
        saved = reading * per_test - sum(tests)
        print(
            f"saved_seconds: {saved:.0f} (a test in each of the {reading} trials that read "
            f"one would cost {reading * per_test:.0f} s; the sweeps ran {ran} tests, "
            f"{sum(tests):.0f} s)"
        )


if __name__ == "__main__":
    sys.exit(main())
