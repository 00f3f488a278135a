"""Wall time of `symsearch --help` beside `python -c pass`, interleaved in one run.

Prints `name: value` lines; the figure to watch is the overhead (target <= 0.3 s).
"""

from __future__ import annotations

import shutil
import subprocess
import sys

from _timing import interleaved_medians

ROUNDS = 15


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True)


def main() -> None:
    symsearch = shutil.which("symsearch")
    if symsearch is None:
        sys.exit("symsearch is not installed: pip install -e . first")
    cli_s, bare_s, _ = interleaved_medians(
        lambda: _run([symsearch, "--help"]), lambda: _run([sys.executable, "-c", "pass"]), ROUNDS
    )
    print(f"cli_help_seconds: {cli_s:.3f}")
    print(f"python_startup_seconds: {bare_s:.3f}")
    print(f"cli_overhead_seconds: {cli_s - bare_s:.3f} (target <= 0.3)")
    print(f"cli_vs_python_ratio: {cli_s / bare_s:.1f}")


if __name__ == "__main__":
    main()
