"""Resuming a sweep: the record read back and held to this machine's rules, the store
reconciled with Ray's experiments, unfinished segments restored, the budget raised."""

from __future__ import annotations

from typing import Any

from pipeline.space import SpaceError, with_resume_overrides
from pipeline.sweep import _connect
from pipeline.sweep._options import SweepOptions
from pipeline.sweep._prepare import Prepared, experiment_root
from pipeline.sweep._record import SweepRecord, load_record, outputs_dir
from pipeline.sweep._run import compact_finished, run_prepared, storage_filesystem
from pipeline.sweep._tracking import check_loggers
from pipeline.sweep._trust import factory_policy, recorded_space
from pipeline.sweep._validate import validate_space


def _study_lost(prepared: Prepared) -> bool:
    """An unfinished segment's snapshot holds a searcher bound to the study it started with; where
    that study is missing here (SQLite on another machine), the snapshot cannot continue."""
    from pipeline.sweep._study import open_storage, study_exists

    record = prepared.record
    if prepared.space.searcher == "grid" or all(s.finished for s in record.segments):
        return False
    record.folder.mkdir(parents=True, exist_ok=True)  # SQLite's file goes there
    return not study_exists(open_storage(record.optuna_storage), record.name)


def resume_sweep(options: SweepOptions) -> tuple[Prepared, bool]:
    """Finish the segments an interruption left open, then raise the budget to
    ``options.num_samples``. With ``options.store``, the record is read from the store (any
    machine). Trials that the store has and no experiment snapshot knows are set aside first;
    lost experiments are replaced by one segment that runs the rest of the budget
    (_reconcile.py). The prepared sweep's options are ``options`` with what the launch settled
    (``SweepOptions.with_record``)."""
    from pipeline.store import check_writable, open_store
    from pipeline.sweep._lock import sweep_lock
    from pipeline.sweep._trust import check_experiments, check_study_storage, choose_address

    options.check_resume()
    name, store = str(options.name), options.store
    record = load_record(name, store)  # with --store: that store, whatever the record names
    choose_address(record, options.address)
    location = open_store(record.store)
    check_experiments(record, location, experiment_root(location))
    check_study_storage(record, str(outputs_dir()))
    allowed = options.allow_factories, options.trust_store
    with factory_policy(*allowed):  # the record's factories: user's say
        prepared = _prepare_resume(record, options)
    check_writable(location)  # a store gone read-only: exit 2 before Ray starts
    with sweep_lock(location, name, options.force):  # one driver per sweep
        record.segments = load_record(name, store, quiet=True).segments  # a driver that held
        # the lock before may have closed or added segments
        check_experiments(record, location, experiment_root(location))
        with factory_policy(*allowed):  # a missing test builds the data
            prepared.run_tests()  # stored ones are read back, never run again
        return _run_resume(prepared, location)


def _run_resume(prepared: Prepared, location: Any) -> tuple[Prepared, bool]:
    from pipeline.sweep._reconcile import (
        lost_segments,
        replace_lost_experiments,
        set_aside_forgotten_trials,
    )

    record, options = prepared.record, prepared.options
    _connect.connect(record.address, record.verbose, prepared.space, options.dashboard)
    filesystem = storage_filesystem(location)
    if lost_segments(record, filesystem) or _study_lost(prepared):
        replace_lost_experiments(record, location)
    else:
        set_aside_forgotten_trials(record, location, filesystem)
    finished = True
    for segment in record.segments:
        if not segment.finished:
            finished = run_prepared(prepared, segment, restore=True) and finished
    num_samples = options.num_samples
    if finished and num_samples is not None and num_samples > record.budget:
        segment = record.add_segment(num_samples - record.budget)
        record.save()
        finished = run_prepared(prepared, segment, restore=False)
    if finished:
        compact_finished(prepared)
    return prepared, finished


def _prepare_resume(record: SweepRecord, options: SweepOptions) -> Prepared:
    """The record's space (with ``resume --set``) validated like a space file, the budget
    check, and the dry run of every candidate; nothing is saved."""
    space = recorded_space(record)
    if options.overrides:
        space = with_resume_overrides(space, dict(options.overrides))
        record.space = space.model_dump()
    num_samples = options.num_samples
    if num_samples is not None and num_samples < record.budget:
        raise SpaceError(
            f"--num-samples: {num_samples} is below the sweep's budget "
            f"({record.budget}); a budget can only grow"
        )
    if num_samples is not None and num_samples > record.budget and space.searcher == "grid":
        raise SpaceError("--num-samples: a grid sweep runs each combination once")
    check_loggers(space.loggers)
    return Prepared(record, space, validate_space(space), options.with_record(record))
