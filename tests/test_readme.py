"""The README's two set-up commands stay true: CI runs the test command verbatim, and it
builds the documentation site strictly; the README stays short and points to the docs."""

import re
from pathlib import Path

from tests.docs_blocks import marked_block

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _command_after(marker: str) -> str:
    return marked_block("README.md", marker, "bash").strip()


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


def test_the_test_command_installs_the_docs_and_builds_them_strictly_after_the_tests():
    """CI builds the site (a warning fails it) with what the docs extra installs."""
    command = _command_after("test-command")
    assert '-e ".[test,docs]"' in command
    assert command.endswith("&& pytest && mkdocs build --strict")


def test_ci_installs_chromium_before_the_tests_and_requires_the_browser_test():
    """The headless-browser test of report.html runs in CI, never skips (README says so)."""
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    install = next(i for i, line in enumerate(lines) if "apt-get install" in line)
    assert "chromium" in lines[install]
    assert "export SYMSEARCH_REQUIRE_BROWSER=1" in lines[install:]
    assert lines.index(_command_after("test-command")) > install
    assert "`.ci/run` installs Chromium" in README


def test_the_readme_is_short_and_links_every_docs_page_it_names():
    assert len(README.splitlines()) <= 250
    for heading in ("## Quick start", "## What the report says", "## Documentation"):
        assert heading in README
    links = re.findall(r"\]\((docs/[^)#]+)", README)
    assert "docs/tutorial.ipynb" in links and "docs/architecture.md" in links
    for link in links:
        assert (ROOT / link).is_file(), link
