"""The data test of one (dataset, candidate group): its repeats, their consensus, its rows.

A data test is a function of the data, the candidate group and a seed, not of any trial's
learning rate or model: a sweep runs it once per (dataset, candidate) and every trial of that
candidate refers to it (``data_test_id``). ``test_repeats`` runs it at ``test_seed``,
``test_seed + 1``, ...; a generator's consensus is what most repeats say (a tie is undecided),
with their agreement.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import torch

from pipeline.data import Dataset
from pipeline.discovery._discover import discovery_test
from pipeline.discovery._records import TestConfig, Verdict
from pipeline.discovery._rows import present_span
from pipeline.groups import Group, generator_in_group

ID_PREFIX = "data-test-"  # the store's DATA_TEST_PREFIX: these ids own rows but are not trials


def data_test_id(
    dataset_spec: dict[str, Any], data_seed: int, candidate: str, seeds: list[int]
) -> str:
    """A stable id of the test of this data with this candidate at these seeds."""
    key = json.dumps([dataset_spec, data_seed, candidate, seeds], sort_keys=True, default=str)
    return ID_PREFIX + hashlib.sha1(key.encode()).hexdigest()[:12]


@dataclass
class DataTest:
    """The verdicts of one data test, per repeat (``runs[r]``: one Verdict per generator)."""

    test_id: str
    candidate: str
    seeds: list[int]
    runs: list[list[Verdict]] = field(default_factory=list)
    matrices: dict[str, list[float]] = field(default_factory=dict)
    matrix_dim: int = 0
    seconds: float = 0.0

    def generators(self) -> list[str]:
        return [v.generator for v in self.runs[0]] if self.runs else []

    def consensus(self) -> dict[str, dict[str, Any]]:
        """Per generator, the columns of a trial's ``discovery`` row: present where most repeats
        say so; p-value and extent the median over the repeats that agree; a note where the
        repeats split evenly or every repeat was undecided."""
        found = {}
        for name in self.generators():
            verdicts = [v for run in self.runs for v in run if v.generator == name]
            found[name] = _agreeing_columns(verdicts)
        return found

    def discovered_group(self, candidate: Group) -> str:
        """The group the generators present by consensus span (a catalog name where one fits)."""
        return present_span(candidate, self.consensus())

    def _matrix(self, verdict: Verdict) -> list[float] | None:
        """A generator's matrix; a direction proposed from the data carries its own."""
        return self.matrices.get(verdict.generator) or _direction_matrix(verdict)

    def rows(self, dataset: Dataset, data_seed: int, candidate: Group) -> list[dict[str, Any]]:
        """The store's ``data_tests`` rows: one per (repeat, generator), TV curve included.
        ``true_present`` scores the verdict against the declared group; nothing decides by it."""
        truth = dataset.group()
        rows = []
        for seed, run in zip(self.seeds, self.runs, strict=True):
            columns = {
                v.generator: {"present": v.present, "invariant_order": v.invariant_order}
                for v in run
            }
            found = present_span(candidate, columns)
            for verdict in run:
                rows.append(
                    {
                        **_verdict_fields(verdict),
                        "dataset": dataset.name,
                        "data_seed": data_seed,
                        "candidate_group": self.candidate,
                        "test_seed": seed,
                        "matrix": self._matrix(verdict),
                        "matrix_dim": self.matrix_dim or None,
                        "discovered_group": found,
                        "true_present": _true_present(candidate, verdict.generator, truth),
                        "seconds": verdict.seconds,
                    }
                )
        return rows


def _direction_matrix(verdict: Verdict) -> list[float] | None:
    matrix = getattr(verdict, "matrix", None)
    return None if matrix is None else matrix.detach().double().flatten().tolist()


def run_data_test(
    dataset: Dataset,
    candidate: Group,
    seeds: list[int],
    test_id: str,
    device: torch.device | str = "cpu",
    config: TestConfig | None = None,
) -> DataTest:
    """Run the test at each seed (``config``'s other settings kept)."""
    started = time.perf_counter()
    base = config or TestConfig()
    runs = [discovery_test(dataset, candidate, _with_seed(base, seed), device) for seed in seeds]
    matrices = generator_matrices(candidate)
    return DataTest(
        test_id,
        candidate.name,
        list(seeds),
        runs,
        matrices,
        candidate.dim,
        time.perf_counter() - started,
    )


def generator_matrices(group: Group) -> dict[str, list[float]]:
    """Each generator's matrix, row-major, in the group's representation."""
    group = group.to(device="cpu", dtype=torch.float64)
    mats = list(group.lie_algebra) + list(group.discrete_generators)
    return {
        name: m.flatten().tolist() for name, m in zip(group.generator_names(), mats, strict=True)
    }


def _with_seed(config: TestConfig, seed: int) -> TestConfig:
    from dataclasses import replace

    return replace(config, seed=seed)


def _agreeing_columns(verdicts: list[Verdict]) -> dict[str, Any]:
    decided = [v for v in verdicts if v.note is None]
    yes = sum(v.present for v in decided)
    no = len(decided) - yes
    if yes == no:  # nothing decided, or the repeats split: undecided
        notes = [v.note for v in verdicts if v.note]
        note = notes[0] if notes else f"undecided: {yes} of {len(verdicts)} repeats present"
        agreeing, present = verdicts, False
    else:
        present, note = yes > no, None
        agreeing = [v for v in decided if v.present == present]
    extents = [v.extent for v in agreeing]
    errors = [v.extent_error for v in agreeing if v.extent_error is not None]
    return {
        "p_value": statistics.median(v.p_value for v in agreeing),
        "extent": statistics.median(extents),
        "extent_unit": verdicts[0].unit,
        "present": present,
        "extent_error": statistics.median(errors) if errors else None,
        "test_note": note,
        "invariant_order": _most_repeats_say([v.invariant_order for v in verdicts]),
    }


def _most_repeats_say(orders: list[int | None]) -> int | None:
    """The invariant subgroup most repeats found (none where most found none)."""
    counts = Counter(orders)
    order, times = counts.most_common(1)[0]
    return order if 2 * times > len(orders) else None


def _verdict_fields(verdict: Verdict) -> dict[str, Any]:
    return {
        "generator": verdict.generator,
        "present": verdict.present,
        "p_value": verdict.p_value,
        "extent": verdict.extent,
        "extent_unit": verdict.unit,
        "extent_error": verdict.extent_error,
        "whole": verdict.full,
        "test_note": verdict.note,
        "visibility_p": verdict.visibility_p,
        "magnitudes": [float(m) for m in verdict.magnitudes],
        "tv": [float(t) for t in verdict.tv],
        "invariant_order": verdict.invariant_order,
        "subgroup": verdict.subgroup,
    }


def _true_present(candidate: Group, generator: str, truth: Group) -> bool | None:
    try:
        return generator_in_group(candidate, generator, truth)
    except ValueError:  # a direction proposed from the data, not one of the candidate's own
        return None
