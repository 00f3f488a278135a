"""The discovery test end to end: measure the basis and proposed directions, decide, name
invariant subgroups (the steps of ``_test``'s docstring, in order)."""

from __future__ import annotations

import math
import time

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


def _extent_error(dataset: Dataset, probe: Probe, verdict: Verdict) -> float | None:
    declared = dataset.support.get(probe.generator.split(".")[-1])
    if declared is None or not verdict.present:
        return None
    true_size, size = probe.size(declared), probe.size(verdict.extent)
    if true_size <= 0 or size <= 0:
        return None
    return abs(math.log(size / true_size))
