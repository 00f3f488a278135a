"""Launching and resuming sweeps: validation first, then Ray Tune experiments (segments).

Everything a bad space or flag can get wrong is checked before Ray starts or anything is written.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.space import (
    ROBUSTNESS_EVERY,
    SearchSpace,
    SpaceError,
    load_space,
    with_overrides,
    with_resume_overrides,
)
from pipeline.sweep._cluster import ClusterSettings, with_cluster_resources
from pipeline.sweep._record import (
    Segment,
    SweepError,
    SweepRecord,
    check_name,
    load_record,
    outputs_dir,
    sweep_folder,
)
from pipeline.sweep._strategy import build_searcher, first, scheduler_for
from pipeline.sweep._tracking import check_loggers
from pipeline.sweep._trainable import GRID_KEY, TrialSpec
from pipeline.sweep._trust import check_arguments, factory_policy, recorded_space
from pipeline.sweep._validate import validate_space

RAY_DEFAULTS = {
    "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0",  # workers use this interpreter, not a uv run
    "TUNE_GLOBAL_CHECKPOINT_S": "1",  # experiment state at least every second: a killed driver
    # loses at most a second of Tune's bookkeeping (trials' own progress is in their saved
    # states in the store; what the gap loses, resume sets aside: _reconcile.py)
}


@dataclass
class Prepared:
    """A validated sweep, ready to run: its record and what its trials share."""

    record: SweepRecord
    space: SearchSpace
    dataset: dict[str, Any]  # the dataset's columns of a trials row
    dashboard: bool = False  # start Ray's dashboard (and print its URL)
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


def prepare_sweep(
    space_path: Path | SearchSpace,
    name: str | None,
    store: str | None,
    num_samples: int | None,
    max_concurrent: int | None,
    address: str | None,
    verbose: bool,
    cluster: ClusterSettings | None = None,
    study_storage: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> Prepared:
    """Validate everything and build the record (nothing is written yet). Flags win over the
    cluster file, which wins over the defaults. ``space_path``: a file, or a space validated
    already (from Python); ``overrides``: ``--set`` pairs (``space.with_overrides``)."""
    from pipeline.store import check_writable, default_store, open_store

    check_arguments(
        num_samples,
        max_concurrent,
        name=name,
        store=store,
        address=address,
        study_storage=study_storage,
        verbose=verbose,
    )
    given = space_path if isinstance(space_path, SearchSpace) else load_space(space_path)
    space = with_cluster_resources(with_overrides(given, overrides), cluster)
    check_loggers(space.loggers)
    if cluster is not None:
        store, address = store or cluster.store, address or cluster.address
    stem = "sweep" if isinstance(space_path, SearchSpace) else Path(space_path).stem
    name = check_name(name if name is not None else space.name or stem)
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
    study_storage = study_storage or space.study_storage
    if study_storage is not None and space.searcher != "grid":
        _check_new_study(name, study_storage)
    check_writable(location)  # late: a bad space leaves no store folder behind
    _check_new_in_store(name, location)  # a name taken there already holds the store folder
    record = SweepRecord(
        name=name,
        space=space.model_dump(),
        space_path=_space_path(space_path),
        store=location.url,
        storage_path=_experiment_root(location),
        address=address,
        max_concurrent=max_concurrent or space.max_concurrent,
        verbose=verbose,
        study_storage=study_storage,
    )
    record.add_segment(_segment_budget(space, num_samples))
    return Prepared(record, space, dataset)


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


def _experiment_root(location: Any) -> str:
    """Ray's experiment directories: under outputs/ locally, beside a remote store."""
    if location.is_local:
        return str(outputs_dir() / "ray")
    return f"{location.root.rsplit('/', 1)[0]}/ray-experiments"  # a path in the store's fs


def _segment_budget(space: SearchSpace, num_samples: int | None) -> int:
    if space.searcher == "grid":
        from pipeline.sweep._search import grid_points

        return len(grid_points(space))  # every combination once
    return num_samples or space.num_samples


def run_prepared(prepared: Prepared, segment: Segment, restore: bool) -> bool:
    """Run (or restore) one segment; True when all its trials ended."""
    from ray import tune

    from pipeline.store import open_store
    from pipeline.sweep._callbacks import ProgressCallback, StoreCallback
    from pipeline.sweep._tracking import tracking_callbacks

    record, space = prepared.record, prepared.space
    connect(record.address, record.verbose, space, prepared.dashboard)
    trainable = _trainable(prepared)
    path = record.experiment_path(segment)
    filesystem = storage_filesystem(open_store(record.store))
    if restore and tune.Tuner.can_restore(path, storage_filesystem=filesystem):
        tuner = tune.Tuner.restore(
            path,
            trainable,
            resume_unfinished=True,
            resume_errored=True,
            storage_filesystem=filesystem,
        )
    else:
        callbacks = [
            StoreCallback(prepared.spec, prepared.dataset),
            *tracking_callbacks(space.loggers, prepared.spec),
        ]
        if not record.verbose:
            budget = segment.num_samples
            progress = ProgressCallback(
                record.name, first(space.metric), first(prepared.mode), budget
            )
            callbacks.append(progress)
        run_config = _run_config(record, space, segment, callbacks, filesystem)
        param_space = _param_space(prepared, segment)
        tuner = tune.Tuner(
            trainable,
            param_space=param_space,
            run_config=run_config,
            tune_config=_tune_config(prepared, segment),
        )
    try:
        results = tuner.fit()
    except Exception as error:
        from pipeline.sweep._study import storage_failure

        failure = storage_failure(error, record.name, record.optuna_storage)
        if failure is None:
            raise
        raise failure from None
    ended = results.num_terminated + results.num_errors
    segment.finished = ended >= segment.num_samples
    record.save()
    return segment.finished


def _param_space(prepared: Prepared, segment: Segment) -> dict[str, Any]:
    """Optuna draws every parameter itself; a grid is Tune's grid_search over whole points (for
    a segment that replaces lost experiments, the points no stored trial has run)."""
    space = prepared.space
    if space.searcher != "grid":
        return {}
    from ray import tune

    from pipeline.sweep._search import grid_points

    points = grid_points(space)
    if segment.carried:
        points = _points_not_run(prepared.record, points)
    return {GRID_KEY: tune.grid_search(points)}


def _points_not_run(record: SweepRecord, points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    import json

    from pipeline.store import open_store, read_table

    rows = read_table(open_store(record.store), "trials", record.name).to_pylist()
    configs = [json.loads(row["config_json"] or "{}") for row in rows]
    return [
        point
        for point in points
        if not any(all(c.get(k) == v for k, v in point.items()) for c in configs)
    ]


def _trainable(prepared: Prepared) -> Any:
    from ray import tune

    from pipeline.sweep._trainable import make_trainable

    resources = prepared.space.resources
    return tune.with_resources(
        make_trainable(prepared.spec), {"cpu": resources.cpu, "gpu": resources.gpu}
    )


def _tune_config(prepared: Prepared, segment: Segment) -> Any:
    from ray import tune

    space = prepared.space
    searcher = _searcher(prepared)
    # No metric/mode here: the searcher and the scheduler have them, and Ray refuses them twice.
    return tune.TuneConfig(
        search_alg=searcher,
        scheduler=scheduler_for(space, prepared.mode),
        num_samples=1 if space.searcher == "grid" else segment.num_samples,
        max_concurrent_trials=prepared.record.max_concurrent,
        reuse_actors=True,  # function trainables hold no state between trials
    )


def _searcher(prepared: Prepared) -> Any:
    space, record = prepared.space, prepared.record
    if space.searcher == "grid":
        return None  # Tune's own variant generator expands the grid_search
    record.folder.mkdir(parents=True, exist_ok=True)
    storage = _study_storage(prepared)  # persistent: raise the budget, resume anywhere
    from pipeline.sweep._datatests import discovered_by_test

    found = discovered_by_test(space, prepared.data_tests)
    return build_searcher(space, prepared.mode, record.name, storage, found)


def _study_storage(prepared: Prepared) -> Any:
    """The sweep's study storage; a study missing there is rebuilt from the store's trials."""
    from pipeline.store import open_store, read_table
    from pipeline.sweep._study import open_storage, rebuild_study, study_exists

    record = prepared.record
    storage = open_storage(record.optuna_storage)
    if study_exists(storage, record.name):
        return storage
    location = open_store(record.store)
    rows = read_table(location, "trials", record.name).to_pylist()
    if rows and "train_loss" in prepared.space.objectives():
        _add_last_train_loss(rows, read_table(location, "epochs", record.name).to_pylist())
    if rows:
        added = rebuild_study(storage, record.name, prepared.space, prepared.mode, rows)
        print(
            f"resume: the Optuna study was rebuilt from the store's {added} trial(s)",
            file=sys.stderr,
        )
    return storage


def _add_last_train_loss(rows: list[dict[str, Any]], epochs: list[dict[str, Any]]) -> None:
    last: dict[str, tuple[int, Any]] = {}
    for epoch in epochs:
        if epoch["epoch"] >= last.get(epoch["trial_id"], (-1, None))[0]:
            last[epoch["trial_id"]] = (epoch["epoch"], epoch["train_loss"])
    for row in rows:
        row["train_loss"] = last.get(row["trial_id"], (0, None))[1]


def _run_config(
    record: SweepRecord, space: SearchSpace, segment: Segment, callbacks: list, filesystem: Any
) -> Any:
    from ray import tune

    return tune.RunConfig(
        name=segment.experiment,
        storage_path=record.storage_path,
        storage_filesystem=filesystem,
        callbacks=callbacks,
        verbose=2 if record.verbose else 0,
        failure_config=tune.FailureConfig(max_failures=space.max_failures),
    )


def storage_filesystem(location: Any) -> Any:
    """A pyarrow view of a remote store's fsspec filesystem for the experiment directories
    beside it (``_experiment_root``), so Ray uses the store's credentials and endpoint; None
    on local disk."""
    if location.is_local:
        return None
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    return PyFileSystem(FSSpecHandler(location.fs))


def connect(
    address: str | None, verbose: bool, space: SearchSpace, dashboard: bool = False
) -> None:
    """Start a local Ray (no address) or join a running cluster; once per process. With
    ``dashboard``, Ray's dashboard too, and its URL on stderr."""
    for key, value in RAY_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if not verbose:  # Ray's classic reporter is silent at verbose=0; ours shows progress, and
        # a failed or retried trial in one line instead of Tune's traceback
        os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
        os.environ.setdefault("TUNE_PRINT_ALL_TRIAL_ERRORS", "0")
    import ray

    if ray.is_initialized():
        return
    runtime_env = None
    if "factory" in space.dataset:  # workers import the factory module from this directory
        paths = [os.getcwd(), *filter(None, [os.environ.get("PYTHONPATH")])]
        runtime_env = {"env_vars": {"PYTHONPATH": os.pathsep.join(paths)}}
    # No address: a fresh local Ray ("local"), never a stale cluster some `ray start` left
    # behind; inside a Ray job RAY_ADDRESS names the job's cluster.
    address = address or os.environ.get("RAY_ADDRESS") or "local"
    context = ray.init(
        address=address,
        include_dashboard=dashboard,
        log_to_driver=verbose,
        logging_level=logging.INFO if verbose else logging.WARNING,
        runtime_env=runtime_env,
    )
    if dashboard:
        from pipeline.sweep._dashboard import say_ray_dashboard

        say_ray_dashboard(context)


def _study_lost(prepared: Prepared) -> bool:
    """An unfinished segment's snapshot holds a searcher bound to the study it started with; where
    that study is missing here (SQLite on another machine), the snapshot cannot continue."""
    from pipeline.sweep._study import open_storage, study_exists

    record = prepared.record
    if prepared.space.searcher == "grid" or all(s.finished for s in record.segments):
        return False
    record.folder.mkdir(parents=True, exist_ok=True)  # SQLite's file goes there
    return not study_exists(open_storage(record.optuna_storage), record.name)


def start_sweep(prepared: Prepared, force: bool = False) -> bool:
    """Claim the name (the sweep's lock, then its record, both created exclusively) and run."""
    from pipeline.store import open_store
    from pipeline.sweep._lock import sweep_lock

    record = prepared.record
    with sweep_lock(open_store(record.store), record.name, force):
        record.save(new=True)
        prepared.run_tests()
        return run_prepared(prepared, record.segments[0], restore=False)


def resume_sweep(
    name: str,
    num_samples: int | None,
    store: str | None = None,
    overrides: dict[str, Any] | None = None,
    dashboard: bool = False,
    allow_factories: Any = (),
    trust_store: bool = False,
    address: str | None = None,
    force: bool = False,
) -> tuple[Prepared, bool]:
    """Finish the segments an interruption left open, then raise the budget to num_samples.
    With ``store``, the record is read from the store (any machine). Trials that the store has
    and no experiment snapshot knows are set aside first; lost experiments are replaced by one
    segment that runs the rest of the budget (_reconcile.py)."""
    from pipeline.store import check_writable, open_store
    from pipeline.sweep._lock import sweep_lock
    from pipeline.sweep._trust import check_experiments, check_study_storage, choose_address

    check_arguments(num_samples, name=name, store=store, address=address)
    if overrides is not None and not isinstance(overrides, dict):
        raise SpaceError(f"overrides: expected a mapping, got {type(overrides).__name__}")
    record = load_record(name, store)  # with --store: that store, whatever the record names
    choose_address(record, address)
    location = open_store(record.store)
    check_experiments(record, location, _experiment_root(location))
    check_study_storage(record, str(outputs_dir()))
    with factory_policy(allow_factories, trust_store):  # the record's factories: user's say
        prepared = _prepare_resume(record, num_samples, overrides, dashboard)
    check_writable(location)  # a store gone read-only: exit 2 before Ray starts
    with sweep_lock(location, name, force):  # one driver per sweep
        record.segments = load_record(name, store, quiet=True).segments  # a driver that held
        # the lock before may have closed or added segments
        check_experiments(record, location, _experiment_root(location))
        with factory_policy(allow_factories, trust_store):  # a missing test builds the data
            prepared.run_tests()  # stored ones are read back, never run again
        return _run_resume(prepared, location, num_samples, dashboard)


def _run_resume(
    prepared: Prepared, location: Any, num_samples: int | None, dashboard: bool
) -> tuple[Prepared, bool]:
    from pipeline.sweep._reconcile import (
        lost_segments,
        replace_lost_experiments,
        set_aside_forgotten_trials,
    )

    record = prepared.record
    connect(record.address, record.verbose, prepared.space, dashboard)
    filesystem = storage_filesystem(location)
    if lost_segments(record, filesystem) or _study_lost(prepared):
        replace_lost_experiments(record, location)
    else:
        set_aside_forgotten_trials(record, location, filesystem)
    finished = True
    for segment in record.segments:
        if not segment.finished:
            finished = run_prepared(prepared, segment, restore=True) and finished
    if finished and num_samples is not None and num_samples > record.budget:
        segment = record.add_segment(num_samples - record.budget)
        record.save()
        finished = run_prepared(prepared, segment, restore=False)
    return prepared, finished


def _prepare_resume(
    record: SweepRecord, num_samples: int | None, overrides: dict[str, Any] | None, dashboard: bool
) -> Prepared:
    """The record's space (with ``resume --set``) validated like a space file, the budget
    check, and the dry run of every candidate; nothing is saved."""
    space = recorded_space(record)
    if overrides:
        space = with_resume_overrides(space, overrides)
        record.space = space.model_dump()
    if num_samples is not None and num_samples < record.budget:
        raise SpaceError(
            f"--num-samples: {num_samples} is below the sweep's budget "
            f"({record.budget}); a budget can only grow"
        )
    if num_samples is not None and num_samples > record.budget and space.searcher == "grid":
        raise SpaceError("--num-samples: a grid sweep runs each combination once")
    check_loggers(space.loggers)
    return Prepared(record, space, validate_space(space), dashboard)
