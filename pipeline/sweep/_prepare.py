"""A sweep made ready: the space, flags and cluster file validated, the record built.

Everything a bad space or flag can get wrong is checked here, before Ray starts or anything is
written (``start_sweep`` in ``_run.py`` claims the name and runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.space import (
    ROBUSTNESS_EVERY,
    SearchSpace,
    load_space,
    with_overrides,
)
from pipeline.sweep._batching import rungs_for
from pipeline.sweep._cluster import with_cluster_resources
from pipeline.sweep._options import SweepOptions
from pipeline.sweep._record import SweepError, SweepRecord, check_name, outputs_dir, sweep_folder
from pipeline.sweep._tracking import check_loggers
from pipeline.sweep._trainable import TrialSpec
from pipeline.sweep._validate import validate_space


@dataclass
class Prepared:
    """A validated sweep, ready to run: its record and what its trials share."""

    record: SweepRecord
    space: SearchSpace
    dataset: dict[str, Any]  # the dataset's columns of a trials row
    options: SweepOptions = field(default_factory=SweepOptions)  # as the record keeps them
    data_tests: dict[str, Any] = field(default_factory=dict)  # candidate -> DataTest (run_tests)

    @property
    def spec(self) -> TrialSpec:
        from pipeline._util.provenance import git_commit

        base = {"dataset": self.space.dataset, "model": self.space.model, **self.space.trial}
        if "robustness" in self.space.objectives() and "robustness_every" not in base:
            base["robustness_every"] = ROBUSTNESS_EVERY  # the objective must be reported
        gpu = self.space.resources.gpu
        return TrialSpec(
            self.record.name,
            self.record.store,
            base,
            gpu,
            self.space.checkpoint_seconds,
            git_commit(),
            self.data_tests,
            self.space.batch_trials,
            rungs_for(self.space, self.mode) if self.space.batch_trials > 1 else None,
        )

    def run_tests(self) -> None:
        """The sweep's data tests (stored ones read back, missing ones run and stored)."""
        from pipeline.store import open_store
        from pipeline.sweep._datatests import sweep_data_tests

        self.data_tests = sweep_data_tests(
            self.space, open_store(self.record.store), self.record.name
        )

    @property
    def mode(self) -> Any:
        """Per objective: min for train_loss, else the space's mode or the dataset's direction
        (a list for a list of metrics)."""
        metrics = self.space.objectives()
        given = (
            self.space.mode
            if isinstance(self.space.mode, list)
            else [self.space.mode] * len(metrics)
        )
        modes = [
            "min" if metric == "train_loss" else mode or self.dataset["metric_mode"]
            for metric, mode in zip(metrics, given, strict=True)
        ]
        return modes if isinstance(self.space.metric, list) else modes[0]


def prepare_sweep(space_path: Path | SearchSpace, options: SweepOptions | None = None) -> Prepared:
    """Validate everything and build the record (nothing is written yet). Flags win over the
    cluster file, which wins over the defaults. ``space_path``: a file, or a space validated
    already (from Python); ``options``: the flags (``SweepOptions``; its ``overrides`` are
    ``--set`` pairs, ``space.with_overrides``). The prepared sweep's ``options`` are these with
    what the launch settled (name, store, address, concurrency, study storage), as the record
    keeps them."""
    from pipeline.store import check_writable, default_store, open_store

    options = options if options is not None else SweepOptions()
    options.check_launch()
    given = space_path if isinstance(space_path, SearchSpace) else load_space(space_path)
    cluster = options.cluster
    space = with_cluster_resources(with_overrides(given, dict(options.overrides)), cluster)
    check_loggers(space.loggers)
    store, address = options.store, options.address
    if cluster is not None:
        store, address = store or cluster.store, address or cluster.address
    stem = "sweep" if isinstance(space_path, SearchSpace) else Path(space_path).stem
    name = check_name(options.name if options.name is not None else space.name or stem)
    if (sweep_folder(name) / "sweep.json").exists():
        raise SweepError(
            f"a sweep named {name!r} exists: `symsearch resume {name}` continues "
            "it, or choose another --name"
        )
    location = open_store(_absolute(store if store is not None else default_store()))
    if location.url.startswith("memory://"):
        raise SweepError(
            "--store: a memory:// store lives in one process and Ray trials run "
            "in others; use a path or an s3:// / gs:// URL"
        )
    dataset = validate_space(space)
    study_storage = options.study_storage or space.study_storage
    if study_storage is not None and space.searcher != "grid":
        _check_new_study(name, study_storage)
    check_writable(location)  # late: a bad space leaves no store folder behind
    _check_new_in_store(name, location)  # a name taken there already holds the store folder
    record = SweepRecord(
        name=name,
        space=space.model_dump(),
        space_path=_space_path(space_path),
        store=location.url,
        storage_path=experiment_root(location),
        address=address,
        max_concurrent=options.max_concurrent or space.max_concurrent,
        verbose=options.verbose,
        study_storage=study_storage,
    )
    record.add_segment(_segment_budget(space, options.num_samples))
    return Prepared(record, space, dataset, options.with_record(record))


def _space_path(space: Path | SearchSpace) -> str:
    """Where the space came from: its file, or nothing for a space given from Python."""
    return "" if isinstance(space, SearchSpace) else str(Path(space).resolve())


def _check_new_in_store(name: str, location: Any) -> None:
    from pipeline.store import read_blob
    from pipeline.store.layout import sweep_listing
    from pipeline.sweep._record import record_name

    if read_blob(location, record_name(name)) is not None:
        raise SweepError(
            f"the store {location.url} holds a sweep named {name!r}: `symsearch "
            f"resume {name} --store {location.url}` continues it, or choose "
            "another --name"
        )
    if sweep_listing(location, name):  # rows of `symsearch trial --name` (no record)
        raise SweepError(
            f"the store {location.url} holds rows under the name {name!r} (from "
            "`symsearch trial --name`, no sweep record); choose another "
            "--name"
        )


def _check_new_study(name: str, url: str) -> None:
    """The study storage is reachable and holds no study of this name yet."""
    from pipeline.sweep._study import open_storage, study_exists

    if study_exists(open_storage(url), name):
        raise SweepError(
            f"study_storage: it holds a study named {name!r} already (another "
            "sweep's); choose another --name or another storage"
        )


def _absolute(url: str) -> str:
    """Local paths made absolute (Ray's workers run elsewhere); an empty URL is left for
    ``open_store`` to refuse rather than resolved to the working directory."""
    return url if "://" in url or not url.strip() else str(Path(url).resolve())


def experiment_root(location: Any) -> str:
    """Ray's experiment directories: under outputs/ locally, beside a remote store."""
    if location.is_local:
        return str(outputs_dir() / "ray")
    return f"{location.root.rsplit('/', 1)[0]}/ray-experiments"  # a path in the store's fs


def _segment_budget(space: SearchSpace, num_samples: int | None) -> int:
    if space.searcher == "grid":
        from pipeline.sweep._search import grid_points

        return len(grid_points(space))  # every combination once
    return num_samples or space.num_samples
