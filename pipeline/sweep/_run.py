"""Running a prepared sweep: one Ray Tune experiment per segment (run afresh or restored),
and ``start_sweep``, which claims the sweep's name and runs its first segment."""

from __future__ import annotations

import sys
from typing import Any

from pipeline.space import Choice, Distribution, SearchSpace, TrialConfig
from pipeline.sweep import _connect
from pipeline.sweep._batching import MEMBERS_KEY, chunks, member_ids
from pipeline.sweep._interrupt import ray_hints_replaced
from pipeline.sweep._prepare import Prepared
from pipeline.sweep._record import Segment, SweepRecord
from pipeline.sweep._strategy import build_searcher, first, scheduler_for
from pipeline.sweep._trainable import GRID_KEY


def run_prepared(prepared: Prepared, segment: Segment, restore: bool) -> bool:
    """Run (or restore) one segment; True when all its trials ended."""
    from ray import tune

    from pipeline.store import open_store
    from pipeline.sweep._callbacks import ProgressCallback, StoreCallback
    from pipeline.sweep._tracking import tracking_callbacks

    record, space = prepared.record, prepared.space
    _connect.connect(record.address, record.verbose, space, prepared.options.dashboard)
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
            *tracking_callbacks(space.loggers, prepared.spec, first(prepared.mode)),
        ]
        if not record.verbose:
            budget = segment.num_samples
            progress = ProgressCallback(
                record.name, first(space.metric), first(prepared.mode), budget, trial_epochs(space)
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
        with ray_hints_replaced(record.name):
            results = tuner.fit()
    except Exception as error:
        from pipeline.sweep._study import storage_failure

        failure = storage_failure(error, record.name, record.optuna_storage)
        if failure is None:
            raise
        raise failure from None
    segment.finished = ended_configurations(results, record) >= segment.num_samples
    record.save()
    return segment.finished


def ended_configurations(results: Any, record: SweepRecord) -> int:
    """Configurations of an experiment that ended: those of failed Tune trials, and those the
    store holds a ``trials`` row of (a trial writes its own; the driver writes a scheduler
    stop's). Ray calls a trial that Ctrl-C stopped terminated too, but it has no row: it is not
    ended, and a resume continues it from its saved state. A batched Tune trial holds several
    configurations (its members' ids)."""
    from pipeline.store import open_store, read_table

    stored = set(
        read_table(open_store(record.store), "trials", record.name)["trial_id"].to_pylist()
    )
    ended = 0
    for result in results:
        ids = member_ids((result.metrics or {}).get("trial_id") or "", result.config or {})
        ended += len(ids) if result.error is not None else sum(i in stored for i in ids)
    return ended


def trial_epochs(space: SearchSpace) -> int:
    """Each trial's epochs as the space fixes them (a searched budget: its default or middle,
    for trials not yet drawn; the live view reads a drawn trial's own)."""
    value = space.search.get("epochs", space.trial.get("epochs"))
    dimension = space.dimensions().get("epochs")
    if isinstance(dimension, Distribution | Choice):
        value = dimension.middle()
    return int(value) if value else TrialConfig.model_fields["epochs"].default


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
    if space.batch_trials > 1:
        return {MEMBERS_KEY: tune.grid_search(chunks(points, space.batch_trials))}
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

    from pipeline.sweep._entry import make_trainable

    resources = prepared.space.resources
    return tune.with_resources(
        make_trainable(prepared.spec), {"cpu": resources.cpu, "gpu": resources.gpu}
    )


def _tune_config(prepared: Prepared, segment: Segment) -> Any:
    from ray import tune
    from ray.tune.schedulers import FIFOScheduler

    space = prepared.space
    searcher = _searcher(prepared)
    # No metric/mode here: the searcher and the scheduler have them, and Ray refuses them twice.
    batched = space.batch_trials > 1  # ASHA then judges each member (sweep._batching)
    scheduler = FIFOScheduler() if batched else scheduler_for(space, prepared.mode)
    if batched and searcher is not None:
        from pipeline.sweep._groups import GroupSearch

        searcher = GroupSearch(searcher, space.batch_trials, segment.num_samples)
    return tune.TuneConfig(
        search_alg=searcher,
        scheduler=scheduler,
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
    beside it (``experiment_root``), so Ray uses the store's credentials and endpoint; None
    on local disk."""
    if location.is_local:
        return None
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    return PyFileSystem(FSSpecHandler(location.fs))


def start_sweep(prepared: Prepared) -> bool:
    """Claim the name (the sweep's lock, then its record, both created exclusively) and run;
    ``prepared.options.force`` takes a lock another driver holds."""
    from pipeline.store import open_store
    from pipeline.sweep._lock import sweep_lock

    record = prepared.record
    with sweep_lock(open_store(record.store), record.name, prepared.options.force):
        record.save(new=True)
        prepared.run_tests()
        finished = run_prepared(prepared, record.segments[0], restore=False)
        if finished:
            compact_finished(prepared)
        return finished


def compact_finished(prepared: Prepared) -> None:
    """A finished sweep's files rewritten as a few per table (the space's ``compact``, on by
    default), so a direct read of a table's folder reads what ``query`` reads. A compaction
    that fails leaves the store readable as it was: one warning line, and the sweep stands."""
    from pipeline.store import StoreError, compact_sweep, open_store

    if not prepared.space.compact:
        return
    name = prepared.record.name
    try:
        compact_sweep(open_store(prepared.record.store), name)
    except StoreError as error:
        print(
            f"warning: sweep {name}: its files were not compacted ({error}); "
            f"`symsearch compact {name}` compacts them",
            file=sys.stderr,
        )
