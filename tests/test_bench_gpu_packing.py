"""bench/gpu_packing.py on a machine without CUDA: it says so and exits 0."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA: the bench would run")
def test_gpu_packing_without_cuda_says_so_and_exits_0():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "gpu_packing.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "no CUDA device" in done.stdout
