"""`--dashboard` on sweep and resume: Ray's dashboard and its URL, or one line naming the extra."""

import pytest
import yaml
from typer.testing import CliRunner

from pipeline.cli import app
from tests.sweep.helpers import symsearch

TINY = {
    "dataset": {"name": "signals", "length": 32, "transform": "shift", "n_samples": 120},
    "trial": {"epochs": 1, "robustness": "none", "batch_size": 32},
    "search": {"candidate_group": ["trivial"]},
    "searcher": "grid",
    "scheduler": {"name": "fifo"},
}


def _ray_dashboard_installed() -> bool:
    try:
        import ray.dashboard.optional_deps  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("command", [["sweep", "SPACE"], ["resume", "nothing"]])
def test_dashboard_without_ray_default_is_one_line_naming_the_extra(command, tmp_path, monkeypatch):
    if _ray_dashboard_installed():
        pytest.skip("ray[default] is installed here: the dashboard starts (next test)")
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "outputs"))
    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump(TINY))
    args = [str(space) if a == "SPACE" else a for a in command]
    result = CliRunner().invoke(app, [*args, "--dashboard", "--store", str(tmp_path / "s")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "error: --dashboard: Ray's dashboard needs ray[default]"
    )
    assert "symsearch[dashboard]" in lines[0]
    assert not (tmp_path / "s").exists() and not (tmp_path / "outputs").exists()


@pytest.mark.slow
def test_sweep_dashboard_prints_the_url_of_rays_dashboard(tmp_path):
    if not _ray_dashboard_installed():
        pytest.skip("Ray's dashboard needs ray[default] (pip install 'symsearch[dashboard]')")
    (tmp_path / "space.yaml").write_text(yaml.safe_dump(TINY))
    done = symsearch("sweep", "space.yaml", "--name", "dash", "--dashboard", cwd=tmp_path)
    urls = [line for line in done.stderr.splitlines() if line.startswith("Ray dashboard: ")]
    assert len(urls) == 1 and urls[0].startswith("Ray dashboard: http://"), done.stderr[-2000:]
