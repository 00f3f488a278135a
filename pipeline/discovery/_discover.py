"""The discovery test end to end: measure the basis and proposed directions, decide, name
invariant subgroups (the steps of ``_test``'s docstring, in order)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from pipeline.data import Dataset
from pipeline.discovery._directions import direction_verdicts
from pipeline.discovery._probes import Probe
from pipeline.discovery._records import TestConfig, Verdict
from pipeline.discovery._subgroups import name_invariant_subgroups
from pipeline.discovery._test import _decide, measure
from pipeline.groups import Group


def discovery_test(
    dataset: Dataset,
    group: Group,
    config: TestConfig | None = None,
    device: torch.device | str = "cpu",
) -> list[Verdict]:
    """A verdict per generator of ``group`` on ``dataset``, then one per proposed direction."""
    config = config or TestConfig()
    started = time.perf_counter()
    with _cpu_threads(device):
        measured = measure(dataset, group, config, device)
        if not measured.verdicts:
            return []
        verdicts = measured.verdicts + direction_verdicts(dataset, group, config, device)
    _decide(verdicts, config.alpha)
    name_invariant_subgroups(
        verdicts, measured.probes, config.alpha, config.margin, measured.confirm
    )
    for verdict, probe in zip(verdicts, measured.probes, strict=False):  # directions follow
        verdict.extent_error = _extent_error(dataset, probe, verdict)
    for verdict in verdicts:
        verdict.seconds = time.perf_counter() - started
    return verdicts


# The test's operations are small (batches of 128 inputs of at most 24 x 24 pixels at the
# reader's resolution), too small to share among threads: on 2 cores a second thread cut the
# quickstart's test from 27 to 23.5 s for 70% more CPU (27 -> 44 CPU s), and digits_c4's not at
# all (53 s either way, 53 -> 104 CPU s). So on CPU the test runs on one thread.
TEST_THREADS = 1


@contextmanager
def _cpu_threads(device: torch.device | str) -> Iterator[None]:
    """torch's intra-op threads at TEST_THREADS while a CPU test runs, restored after."""
    before = torch.get_num_threads()
    if torch.device(device).type == "cpu":
        torch.set_num_threads(min(before, TEST_THREADS))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _extent_error(dataset: Dataset, probe: Probe, verdict: Verdict) -> float | None:
    declared = dataset.support.get(probe.generator.split(".")[-1])
    if declared is None or not verdict.present:
        return None
    true_size, size = probe.size(declared), probe.size(verdict.extent)
    if true_size <= 0 or size <= 0:
        return None
    return abs(math.log(size / true_size))
