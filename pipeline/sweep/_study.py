"""The Optuna study of a sweep: its storage, and its rebuild from the store.

The study lives in SQLite under ``outputs/`` (one machine) or in any Optuna RDB URL
(``study_storage``, e.g. PostgreSQL shared by a cluster). When it is missing (the sweep resumes on
another machine), it is rebuilt from the store's ``trials`` rows, each added with its parameters,
their distributions and its value, so the searcher continues with what it learned.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from pipeline.space import SearchSpace
from pipeline.sweep._record import SweepError, load_from_store, sweep_folder


def open_storage(url: str, what: str = "study_storage") -> Any:
    """An Optuna RDB storage; one SweepError line when it cannot be reached."""
    import optuna
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    for wait in (0.5, 1.0, 2.0, None):
        try:
            return optuna.storages.RDBStorage(driver_url(url))
        except (IntegrityError, ProgrammingError) as error:
            # two sweeps creating the schema of a fresh database at once: one wins, the
            # other finds the tables on a second try
            if wait is None:
                raise SweepError(f"{what}: cannot open {_safe(url)}: {_line(error)}") from None
            time.sleep(wait)
        except Exception as error:  # sqlalchemy/driver errors have no common base worth naming
            raise SweepError(f"{what}: cannot open {_safe(url)}: {_line(error)}") from None
    raise AssertionError("unreachable")


def _line(error: Exception) -> str:
    line = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return line or type(error).__name__


def driver_url(url: str) -> str:
    """``postgresql://`` through psycopg2 where psycopg (3), SQLAlchemy 2.1's default driver for
    that scheme, is not installed (the ``postgres`` extra installs psycopg2-binary)."""
    import importlib.util

    if (
        url.startswith("postgresql://")
        and importlib.util.find_spec("psycopg") is None
        and importlib.util.find_spec("psycopg2") is not None
    ):
        return "postgresql+psycopg2://" + url.removeprefix("postgresql://")
    return url


def study_location(name: str, store: str) -> str | Path:
    """Where the sweep's Optuna study is: the RDB URL its record names (PostgreSQL on a
    cluster, reachable from any machine), else the SQLite file of this machine's outputs."""
    try:
        storage = load_from_store(name, store, quiet=True).study_storage
    except SweepError:  # no record (a `symsearch trial` run), or a damaged one: status says
        storage = None
    if storage is None:
        return sweep_folder(name) / "optuna.db"
    return driver_url(storage)


def _safe(url: str) -> str:
    """The URL without its password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest and ":" in rest.split("@", 1)[0]:
        user = rest.split("@", 1)[0].split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{rest.split('@', 1)[1]}"
    return url


def study_exists(storage: Any, name: str) -> bool:
    import optuna

    return name in optuna.study.get_all_study_names(storage)


def rebuild_study(
    storage: Any, name: str, space: SearchSpace, mode: Any, rows: list[dict[str, Any]]
) -> int:
    """Create the study ``name`` holding one finished trial per stored ``trials`` row (one value
    per objective; the discovery strategy's probe or baseline is not a point of the search and
    is left out); returns how many were added."""
    import optuna

    from pipeline.sweep._search import define_by_run

    modes = mode if isinstance(mode, list) else [mode]
    directions = ["maximize" if m == "max" else "minimize" for m in modes]
    study = optuna.create_study(storage=storage, study_name=name, directions=directions)
    search = define_by_run(space)
    kept = [row for row in rows if not (space.searcher == "discover" and _probe(row, space))]
    for row in kept:
        study.add_trial(_frozen_trial(row, search, space.objectives()))
    return len(kept)


def _probe(row: dict[str, Any], space: SearchSpace) -> bool:
    """The discovery strategy's probe or baseline: no points of the narrowed search."""
    from pipeline.sweep._probe import is_baseline, is_probe

    config = json.loads(row.get("config_json") or "{}")
    return is_probe(config, space) or is_baseline(config, space)


def _frozen_trial(row: dict[str, Any], search: Any, metrics: list[str]) -> Any:
    import optuna
    from optuna.trial import TrialState

    from pipeline.sweep._optuna import TRIAL_ID_ATTR

    config = json.loads(row.get("config_json") or "{}")
    keys = {*search.dimensions, "candidate_group"}
    fixed = optuna.trial.FixedTrial({k: config[k] for k in keys if k in config})
    search(fixed)  # replays the space: the distribution of every parameter the trial drew
    values = [row.get(metric) for metric in metrics]
    ok = row.get("status") != "failed" and all(
        isinstance(v, float) and math.isfinite(v) for v in values
    )
    if ok and row.get("status") == "stopped":  # a rung stopped it: PRUNED at its last epoch
        return optuna.trial.create_trial(
            params=fixed.params,
            distributions=fixed.distributions,
            state=TrialState.PRUNED,
            intermediate_values={int(row.get("epochs") or 0): values[0]}
            if len(values) == 1
            else None,
            user_attrs={TRIAL_ID_ATTR: row.get("trial_id")},
        )
    return optuna.trial.create_trial(
        params=fixed.params,
        distributions=fixed.distributions,
        values=values if ok else None,
        state=TrialState.COMPLETE if ok else TrialState.FAIL,
        user_attrs={TRIAL_ID_ATTR: row.get("trial_id")},
    )


STORAGE_ERROR_PACKAGES = ("sqlalchemy", "psycopg", "psycopg2", "sqlite3")


def storage_failure(error: BaseException, name: str, url: str) -> SweepError | None:
    """A sweep that stopped because its study's database failed mid-sweep (PostgreSQL stopped,
    a network cut): one line naming the database and how to continue; None for other errors.
    Ray and Optuna wrap the database's error, so the whole chain of causes is searched."""
    import optuna

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        package = type(current).__module__.split(".")[0]
        if package in STORAGE_ERROR_PACKAGES or isinstance(
            current, optuna.exceptions.StorageInternalError
        ):
            return SweepError(
                f"study storage {_safe(url)} failed mid-sweep ({_line(current)}); "
                f"trials so far are in the store: `symsearch resume {name}` "
                "continues once the database is back"
            )
        current = current.__cause__ or current.__context__
    return None
