"""docs/architecture.md holds the contracts the code relies on; it stays true to the code."""

import re
from pathlib import Path

import pytest

from pipeline.cli import app
from pipeline.store._schema import PARTITION, SCHEMAS

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()


def _section(title: str) -> str:
    return ARCHITECTURE.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("table", sorted(SCHEMAS))
def test_every_store_column_is_documented(table):
    entry = re.search(rf"- `{table}`.*?(?=\n- `|\n\n)", _section("Result store"), re.DOTALL)
    assert entry, f"docs/architecture.md lists no table {table}"
    documented = set(re.findall(r"`(\w+)`", entry.group(0))) | {PARTITION, "trial_id", "attempt"}
    assert set(SCHEMAS[table].names) <= documented, set(SCHEMAS[table].names) - documented


def test_every_command_is_documented():
    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    listed = set(re.findall(r"symsearch ([\w-]+)", _section("Command line")))
    assert names <= listed, names - listed


def test_the_readme_links_it_and_nothing_cites_a_missing_design_file():
    assert "docs/architecture.md" in (ROOT / "README.md").read_text()
    for path in [*ROOT.glob("pipeline/**/*.py"), *ROOT.glob("tests/**/*.py")]:
        assert "DESIGN.md" not in path.read_text() or path.name == "test_docs.py", path
