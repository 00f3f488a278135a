"""The documentation site (mkdocs.yml, docs/): every page is in the nav and exists, the how-tos
users need are there, the tutorial notebook is clean, and the generated references cover every
command, option and store column. `mkdocs build --strict` itself runs in CI (.ci/run)."""

import importlib.util
from pathlib import Path

import nbformat
import pytest
import typer
import yaml

from pipeline.cli import app
from pipeline.store import SCHEMAS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CONFIG = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
HOW_TOS = {  # what a researcher asks, and the page that answers it
    "own data": "how-to/own-data.md",
    "own group": "how-to/own-group.md",
    "own model": "how-to/own-model.md",
    "clusters": "how-to/clusters.md",
    "trackers": "how-to/trackers.md",
    "resume": "how-to/resume.md",
    "direct reads": "how-to/direct-reads.md",
    "detect": "how-to/detect.md",
}


def _pages(nav) -> list[str]:
    """The files the nav names, in order."""
    found = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        found += _pages(value) if isinstance(value, list) else [value]
    return found


def _hook():
    path = DOCS / "hooks" / "reference.py"
    spec = importlib.util.spec_from_file_location("docs_reference_hook", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_nav_page_exists_and_every_page_is_in_the_nav():
    pages = _pages(CONFIG["nav"])
    assert len(pages) == len(set(pages))
    for page in pages:
        assert (DOCS / page).is_file(), page
    written = {
        str(path.relative_to(DOCS))
        for pattern in ("**/*.md", "**/*.ipynb")
        for path in DOCS.glob(pattern)
    }
    assert written == set(pages), written ^ set(pages)


@pytest.mark.parametrize(("topic", "page"), sorted(HOW_TOS.items()))
def test_each_how_to_exists_in_the_how_to_section(topic, page):
    how_tos = next(entry["How-to guides"] for entry in CONFIG["nav"] if "How-to guides" in entry)
    assert page in _pages(how_tos), topic
    assert (DOCS / page).read_text().startswith("# "), page


def test_the_site_has_its_sections_and_builds_strictly_in_ci():
    sections = [next(iter(entry)) for entry in CONFIG["nav"]]
    for section in ("Tutorial", "How-to guides", "Reference", "Background"):
        assert section in sections
    assert "mkdocs build --strict" in (ROOT / ".ci" / "run").read_text()
    assert CONFIG["theme"]["name"] == "material"


def test_the_tutorial_is_a_valid_notebook_stored_without_outputs():
    notebook = nbformat.read(DOCS / "tutorial.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)
    assert any("pipeline.sweep(" in cell.source for cell in code)


def test_the_cli_reference_covers_every_command_and_option():
    reference = _hook().cli_reference()
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert f"### symsearch {name}\n" in reference, name
        for param in command.params:
            flags = getattr(param, "opts", [])
            if getattr(param, "param_type_name", "") == "option" and not param.hidden:
                assert any(f"`{flag}" in reference for flag in flags), (name, flags)
    assert "<!-- generated: cli -->" in (DOCS / "reference" / "cli.md").read_text()


def test_the_schema_reference_lists_every_column_with_its_type():
    reference = _hook().store_reference()
    for table, schema in SCHEMAS.items():
        section = reference.split(f"## `{table}`\n", 1)[1].split("\n## ", 1)[0]
        for field in schema:
            assert f"| `{field.name}` | `{field.type}` |" in section, (table, field.name)
    assert "<!-- generated: store-schema -->" in (DOCS / "reference" / "schema.md").read_text()


def test_the_hook_replaces_its_markers():
    hook = _hook()
    page = "# CLI\n\n<!-- generated: cli -->\n\n<!-- generated: store-schema -->\n"
    built = hook.on_page_markdown(page, page=None, config=None, files=None)
    assert "<!-- generated" not in built
    assert "### symsearch sweep" in built and "## `trials`" in built
