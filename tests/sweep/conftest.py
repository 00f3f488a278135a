"""Sweep records and Ray experiments under a fresh outputs/ folder (the session's Ray is in
tests/conftest.py; CLI tests start their own, as users do)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def outputs(tmp_path, monkeypatch):
    """Sweep records and Ray experiments under a fresh outputs/ folder."""
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "outputs"))
    return tmp_path / "outputs"
