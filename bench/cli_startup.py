"""Wall time of `symsearch --help` beside `python -c pass`, interleaved in one run.

Prints `name: value` lines; the figure to watch is the overhead (target <= 0.3 s).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time

ROUNDS = 15


def _seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    symsearch = shutil.which("symsearch")
    if symsearch is None:
        sys.exit("symsearch is not installed: pip install -e . first")
    cli, bare = [], []
    for _ in range(ROUNDS):  # interleaved so that machine noise hits both alike
        cli.append(_seconds([symsearch, "--help"]))
        bare.append(_seconds([sys.executable, "-c", "pass"]))
    cli_s, bare_s = statistics.median(cli), statistics.median(bare)
    print(f"cli_help_seconds: {cli_s:.3f}")
    print(f"python_startup_seconds: {bare_s:.3f}")
    print(f"cli_overhead_seconds: {cli_s - bare_s:.3f} (target <= 0.3)")
    print(f"cli_vs_python_ratio: {cli_s / bare_s:.1f}")


if __name__ == "__main__":
    main()
