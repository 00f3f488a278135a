"""The README's two set-up commands stay true: CI runs the test command verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _command_after(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\s*```(?:bash|sh)?\n(.+?)\n```", text, re.DOTALL)
    assert match, f"README.md has no command block after <!-- {marker} -->"
    return match.group(1).strip()


def test_ci_runs_the_readme_test_command():
    command = _command_after("test-command")
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert command in ci_lines


def test_both_commands_install_the_cpu_build_and_the_package():
    for marker in ("main-command", "test-command"):
        command = _command_after(marker)
        assert "-c constraints/cpu.txt" in command and "pip install" in command
    assert "symsearch" in _command_after("main-command")
    assert "pytest" in _command_after("test-command")


def test_ci_installs_chromium_before_the_tests_and_requires_the_browser_test():
    """The headless-browser test of report.html runs in CI, never skips (README says so)."""
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    install = next(i for i, line in enumerate(lines) if "apt-get install" in line)
    assert "chromium" in lines[install]
    assert "export SYMSEARCH_REQUIRE_BROWSER=1" in lines[install:]
    assert lines.index(_command_after("test-command")) > install
    text = (ROOT / "README.md").read_text()
    assert "`.ci/run` installs Chromium" in text
