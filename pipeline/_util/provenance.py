"""Where a result came from: package versions, the git commit, the device and the host.

Every ``trials`` row carries these columns, so a result read months later says which code,
which libraries and which hardware made it. Nothing here imports ray (its version is read from
the installed package's metadata), and torch only when a GPU's name is asked for.
"""

from __future__ import annotations

import functools
import os
import platform
import subprocess
from importlib import metadata

PROVENANCE_COLUMNS = (
    "symsearch_version",
    "torch_version",
    "ray_version",
    "python_version",
    "git_commit",
    "device_name",
    "host",
)


def package_version(name: str) -> str | None:
    """The installed distribution's version, or None where it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@functools.cache
def _versions() -> dict[str, str | None]:
    from pipeline import __version__

    return {
        "symsearch_version": __version__,
        "torch_version": package_version("torch"),
        "ray_version": package_version("ray"),
        "python_version": platform.python_version(),
    }


def git_commit(folder: str | None = None) -> str | None:
    """The commit checked out in ``folder`` (default: the working directory), None outside a git
    work tree or without git."""
    return _git_commit(os.path.abspath(folder or os.getcwd()))


@functools.cache
def _git_commit(folder: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and len(commit) >= 40 else None


@functools.cache
def device_name(device: str) -> str:
    """A readable name of the hardware: the GPU's name for ``cuda[:N]``, the CPU model else."""
    if device.startswith("cuda"):
        import torch

        index = int(device.partition(":")[2] or 0)
        if torch.cuda.is_available() and index < torch.cuda.device_count():
            return torch.cuda.get_device_name(index)
    if device == "mps":
        return f"Apple MPS ({platform.machine()})"
    return cpu_model()


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo on Linux), else what the platform module says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.lower().startswith(("model name", "hardware")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def provenance(device: str = "cpu", commit: str | None = None) -> dict[str, str | None]:
    """The provenance columns of a ``trials`` row for a trial that ran on ``device`` (``commit``:
    one taken elsewhere, e.g. by a sweep's driver whose workers run in other folders)."""
    return {
        **_versions(),
        "git_commit": commit or git_commit(),
        "device_name": device_name(device),
        "host": platform.node(),
    }
