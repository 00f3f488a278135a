"""One Ray for the in-process sweep tests (CLI tests start their own, as users do)."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def ray_session():
    os.environ["RAY_ENABLE_UV_RUN_RUNTIME_ENV"] = "0"
    import ray

    # workers import test factories (tests.trial_factories) from the repository root
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})  # fmt: skip
    yield ray
    ray.shutdown()


@pytest.fixture
def outputs(tmp_path, monkeypatch):
    """Sweep records and Ray experiments under a fresh outputs/ folder."""
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "outputs"))
    return tmp_path / "outputs"
