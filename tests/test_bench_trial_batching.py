"""bench/trial_batching.py at a tiny size: the figures it prints, and batched equals alone."""

import contextlib
import importlib.util
import io
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def _bench():
    spec = importlib.util.spec_from_file_location(
        "trial_batching", ROOT / "bench" / "trial_batching.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bench_prints_its_figures_and_batched_equals_alone():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        _bench().main(
            ["--tiny", "--members", "3", "--epochs", "2", "--repeats", "1", "--no-compile"]
        )
    lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines())
    assert float(lines["max_abs_diff"]) <= 1e-4
    assert float(lines["cpu_throughput_ratio"]) > 0
    assert float(lines["cpu_vmap_ratio"].split()[0]) > 0  # the vectorized pass, measured too
    assert float(lines["cpu_vmap_max_abs_diff"]) <= 1e-4
    assert lines["cpu_compile"] == "skipped (--no-compile)"
    if not torch.cuda.is_available():
        assert lines["gpu"] == "skipped (no CUDA device here)"
