"""The fuzzer's summary: cases per category, failures by kind, one example of each."""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

Result = tuple[Any, str, Any, "str | None"]  # (case, mode, outcome, problem)


def report(results: list[Result], seconds: float, every: bool = False) -> None:
    by_category: dict[str, Counter] = defaultdict(Counter)
    kinds: Counter = Counter()
    for case, mode, _, problem in results:
        by_category[f"{case.category} ({mode})"]["cases"] += 1
        by_category[f"{case.category} ({mode})"]["failed" if problem else "ok"] += 1
        if problem:
            kinds[problem.split(":")[0].split(" (")[0]] += 1
    print(f"{'category':<36} {'cases':>6} {'ok':>6} {'failed':>7}")
    for name in sorted(by_category):
        counts = by_category[name]
        print(f"{name:<36} {counts['cases']:>6} {counts['ok']:>6} {counts['failed']:>7}")
    failures = [r for r in results if r[3]]
    print(
        f"\ncases: {len(results)}  ok: {len(results) - len(failures)}  failed: "
        f"{len(failures)}  tracebacks: {sum(1 for r in failures if 'traceback' in r[3])}  "
        f"store changed: {sum(1 for r in failures if 'changed' in r[3])}  "
        f"seconds: {seconds:.0f}"
    )
    for kind, count in kinds.most_common():
        print(f"  {count:>4}  {kind}")
    seen = set()
    for case, mode, outcome, problem in failures:
        key = (case.category, problem, tuple(case.argv[:1]))
        if key in seen and not every:  # one example per kind of failure and command
            continue
        seen.add(key)
        first = (outcome.output.strip().splitlines() or [""])[0][:140]
        print(f"FAIL {case.category} {mode}: {case.argv!r:.160}\n     {problem}\n     {first!r}")
        if case.category == "space" and "/spaces/case" in case.argv[1]:
            print(f"     space: {Path(case.argv[1]).read_bytes()[:200]!r}")
    if failures:
        sys.exit(1)
