"""Code blocks that the README and the docs pages mark with ``<!-- marker -->``: the tests run
or compare them as a user would copy them."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def marked_block(page: str, marker: str, language: str = "python") -> str:
    """The fenced ``language`` block right after ``<!-- marker -->`` in ``page`` (a path from
    the repository root, e.g. ``docs/how-to/own-model.md``)."""
    text = (ROOT / page).read_text()
    fence = "(?:bash|sh)?" if language == "bash" else language
    match = re.search(rf"<!-- {marker} -->\s*```{fence}\n(.+?)\n```", text, re.DOTALL)
    assert match, f"{page} has no {language} block after <!-- {marker} -->"
    return match.group(1)
