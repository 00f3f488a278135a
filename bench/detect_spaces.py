"""``symsearch detect`` on every shipped search space: its answer and its cost.

For each ``search_spaces/*.yaml``, the data test of the space's most general candidate (as
``symsearch detect SPACE`` runs it, in this process): the discovered group, the declared group
(for reading only), and the CPU seconds of the test (this process's CPU time, all threads) and
its wall seconds. Prints a table, then ``detect_max_cpu_seconds: S``. Target: under 60 CPU
seconds per space. Run: ``python bench/detect_spaces.py [SPACE ...]``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(path: Path) -> dict[str, object]:
    import pipeline
    from pipeline.data import build_dataset
    from pipeline.space import load_space, trial_config

    config = trial_config(load_space(path), {"device": "cpu"})
    declared = build_dataset(config.dataset, config.data_seed).true_group
    cpu, wall = time.process_time(), time.perf_counter()
    found = pipeline.detect(path)
    return {
        "space": path.stem,
        "candidate": found.candidate_group,
        "discovered": found.discovered_group,
        "declared": declared,
        "present": " ".join(g["generator"] for g in found.generators if g["present"]),
        "cpu_s": round(time.process_time() - cpu, 1),
        "wall_s": round(time.perf_counter() - wall, 1),
    }


def main(names: list[str]) -> None:
    from pipeline._util.text import format_table

    paths = (
        [ROOT / "search_spaces" / f"{n}.yaml" for n in names]
        if names
        else sorted((ROOT / "search_spaces").glob("*.yaml"))
    )
    rows = []
    for path in paths:
        rows.append(measure(path))
        print(rows[-1], file=sys.stderr, flush=True)
    print(format_table(rows))
    print(f"detect_max_cpu_seconds: {max(r['cpu_s'] for r in rows)}")


if __name__ == "__main__":
    main(sys.argv[1:])
