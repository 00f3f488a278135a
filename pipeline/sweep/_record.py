"""What a sweep needs to be resumed by name: its space, store, budget and Ray experiments.

The store is the source of truth: a sweep record lives at ``<store>/_sweeps/<name>/sweep.json``
(written atomically, like every store file; table readers skip ``_`` folders), so any machine
that reaches the store can resume the sweep or show its status. A copy is kept at
``<outputs>/sweeps/<name>/sweep.json`` (``outputs`` is ``./outputs``, or ``$SYMSEARCH_OUTPUTS``)
beside the default Optuna study (``optuna.db``, SQLite; ``study_storage`` names any Optuna RDB
URL instead, e.g. PostgreSQL for a cluster). The space is kept as it was validated at launch,
so editing the YAML later never changes a resumed sweep.

A sweep runs as one or more *segments*, each a Ray Tune experiment: the first holds the original
budget, and every ``resume --num-samples`` that raises the budget adds one more, which continues
the same Optuna study (Ray cannot change ``num_samples`` of an experiment on restore).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline._util.text import name_hint
from pipeline.errors import SymsearchError


class SweepError(SymsearchError):
    """A sweep cannot be started, found or resumed; the message is one line for the user."""


def outputs_dir() -> Path:
    return Path(os.environ.get("SYMSEARCH_OUTPUTS") or "outputs").resolve()  # empty: unset


def check_name(name: str, what: str = "--name") -> str:
    """The store's one rule for sweep names (``check_sweep_name``), as a SweepError."""
    from pipeline.store import StoreError, check_sweep_name

    try:
        return check_sweep_name(name, what)
    except StoreError as error:
        raise SweepError(str(error)) from None


@dataclass
class Segment:
    experiment: str  # Ray experiment name (a directory under storage_path)
    num_samples: int
    finished: bool = False
    carried: int = 0  # of num_samples, trials run on behalf of segments whose experiment was
    # lost (resume from another machine): they finish the budget, they do not raise it


@dataclass
class SweepRecord:
    name: str
    space: dict[str, Any]  # the validated space, as a plain mapping
    space_path: str
    store: str
    storage_path: str  # Ray's experiment root
    address: str | None = None
    max_concurrent: int | None = None
    verbose: bool = False
    segments: list[Segment] = field(default_factory=list)
    study_storage: str | None = None  # an Optuna RDB URL; None: SQLite under outputs/
    created_at: str = field(
        default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    )

    @property
    def folder(self) -> Path:
        return sweep_folder(self.name)

    @property
    def budget(self) -> int:
        return sum(s.num_samples - s.carried for s in self.segments)

    @property
    def optuna_storage(self) -> str:
        return self.study_storage or f"sqlite:///{self.folder / 'optuna.db'}"

    def experiment_path(self, segment: Segment) -> str:
        return f"{self.storage_path.rstrip('/')}/{segment.experiment}"

    def add_segment(self, num_samples: int, carried: int = 0) -> Segment:
        suffix = "" if not self.segments else f"-part{len(self.segments) + 1}"
        segment = Segment(f"{self.name}{suffix}", num_samples, carried=carried)
        self.segments.append(segment)
        return segment

    def save(self, new: bool = False) -> None:
        """Into the store (the truth), then the local copy; both atomic: a kill never leaves
        half a record. ``new``: the store's record is created exclusively (a name is claimed
        once, even by two launches at the same moment)."""
        from pipeline.store import create_blob, open_store, write_blob

        payload = json.dumps(asdict(self), indent=2)
        location = open_store(self.store)
        if new:
            try:
                create_blob(location, record_name(self.name), payload.encode())
            except FileExistsError:
                raise SweepError(
                    f"the store {location.url} holds a sweep named {self.name!r}: "
                    f"`symsearch resume {self.name} --store {location.url}` "
                    "continues it, or choose another --name"
                ) from None
        else:
            write_blob(location, record_name(self.name), payload.encode())
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / "sweep.json.tmp"
        temporary.write_text(payload)
        temporary.replace(self.folder / "sweep.json")


SWEEPS = "_sweeps"  # <store>/_sweeps/<name>/sweep.json


def record_name(name: str) -> str:
    return f"{SWEEPS}/{name}/sweep.json"


def sweep_folder(name: str) -> Path:
    return outputs_dir() / "sweeps" / name


def load_record(name: str, store: str | None = None, quiet: bool = False) -> SweepRecord:
    """The sweep's record: from the store when one is named (any machine), else the local copy.
    ``quiet``: no warning where the record names another store than ``store``."""
    check_name(name, "sweep name")
    if store is not None:
        return load_from_store(name, store, quiet)
    path = sweep_folder(name) / "sweep.json"
    if not path.is_file():
        names = list_sweeps()
        raise SweepError(
            f"no sweep named {name!r} under {path.parents[1]}{name_hint(name, names, 'sweeps')}; "
            "--store URL finds a sweep in its store"
        )
    try:
        text = path.read_text()
    except OSError as error:
        raise SweepError(f"{path}: damaged sweep record ({_reason(error)})") from None
    return parse_record(name, text, str(path))


def load_from_store(name: str, store: str, quiet: bool = False) -> SweepRecord:
    from pipeline.store import open_store, read_blob

    location = open_store(store if "://" in store else str(Path(store).resolve()))
    payload = read_blob(location, record_name(name))
    if payload is None:
        names = sweeps_in_store(location)
        raise SweepError(
            f"no sweep named {name!r} in store {location.url}{name_hint(name, names, 'sweeps')}"
        )
    record = parse_record(
        name, payload.decode("utf-8", "replace"), location.path(record_name(name))
    )
    if record.store.rstrip("/") != location.url.rstrip("/"):  # the command line's store wins
        if not quiet:
            print(
                f"warning: sweep {name}: its record names the store {record.store[:200]}; "
                f"using --store {location.url[:200]}",
                file=sys.stderr,
            )
        record.store = location.url
    return record


def sweeps_in_store(location: Any) -> list[str]:
    """Names of the sweeps with a record in the store."""
    folder = location.path(SWEEPS)
    try:
        location.fs.invalidate_cache()
        found = location.fs.glob(f"{folder}/*/sweep.json")
    except (OSError, FileNotFoundError):
        return []
    return sorted(path.rsplit("/", 2)[-2] for path in found)


def parse_record(name: str, text: str, path: str) -> SweepRecord:
    try:
        raw = json.loads(text)
        raw["segments"] = [Segment(**s) for s in raw.get("segments", [])]
        record = SweepRecord(**raw)
    except (OSError, ValueError, TypeError, AttributeError) as error:  # cut short, edited
        raise SweepError(
            f"{path}: damaged sweep record ({_reason(error)}); restore it or "
            "start the sweep again under another name"
        ) from None
    if record.name != name or not isinstance(record.space, dict) or not record.segments:
        raise SweepError(f"{path}: damaged sweep record (its name, space or segments)")
    problem = _field_problem(record)
    if problem:
        raise SweepError(f"{path}: damaged sweep record ({problem})")
    return record


def _field_problem(record: SweepRecord) -> str | None:
    """The first field whose type or bounds a record edited by hand broke (None: all fine)."""
    for key in ("store", "storage_path", "space_path"):
        if not isinstance(getattr(record, key), str):
            return f"{key}: expected text"
    for key in ("address", "study_storage"):
        if not isinstance(getattr(record, key), str | None):
            return f"{key}: expected text or null"
    if not _count(record.max_concurrent, 100_000, allow_none=True):
        return "max_concurrent: expected a whole number from 1 to 100000 or null"
    for segment in record.segments:
        if not _count(segment.num_samples, 1_000_000) or not _count(
            segment.carried, 1_000_000, low=0
        ):
            return "segments: num_samples and carried must be whole numbers up to 1000000"
    if record.budget > 1_000_000:
        return "segments: a budget above 1000000 trials"
    return None


def _count(value: object, high: int, allow_none: bool = False, low: int = 1) -> bool:
    if value is None:
        return allow_none
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _reason(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"not JSON: {error.msg.lower()}, line {error.lineno} column {error.colno}"
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__


def list_sweeps() -> list[str]:
    root = outputs_dir() / "sweeps"
    if not root.is_dir():
        return []
    return sorted(p.parent.name for p in root.glob("*/sweep.json"))
