"""Build time of every default-size dataset, cold (first build in a fresh process) and warm.

Prints `name: seconds` lines with the share of the 5 s budget each takes. Cold includes one-off
imports (scikit-learn for digits), which is what a trial pays once per worker.
"""

from __future__ import annotations

import subprocess
import sys
import time

BUDGET_SECONDS = 5.0
SPECS = {
    "digits": "'digits'",
    "pointclouds_2d": "'pointclouds'",
    "pointclouds_3d": "{'name': 'pointclouds', 'dim': 3}",
    "signals": "'signals'",
    "twobody": "'twobody'",
    "ising_energy": "'ising'",
    "ising_ground_state": "{'name': 'ising', 'task': 'ground_state'}",
}
PROGRAM = """
import time
from pipeline.data import build_dataset
start = time.perf_counter(); build_dataset({spec}, seed=0); cold = time.perf_counter() - start
start = time.perf_counter(); build_dataset({spec}, seed=1); warm = time.perf_counter() - start
print(cold, warm)
"""


def main() -> None:
    for name, spec in SPECS.items():
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", PROGRAM.format(spec=spec)],
            check=True,
            capture_output=True,
            text=True,
        )
        cold, warm = map(float, out.stdout.split())
        share = cold / BUDGET_SECONDS
        process = time.perf_counter() - started
        print(
            f"dataset_build_{name}: cold {cold:.2f} s, warm {warm:.2f} s "
            f"({share:.0%} of the {BUDGET_SECONDS:.0f} s budget; process {process:.1f} s)"
        )


if __name__ == "__main__":
    main()
