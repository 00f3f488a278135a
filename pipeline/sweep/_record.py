"""What a sweep needs to be resumed by name: its space, store, budget and Ray experiments.

A sweep record lives at ``<outputs>/sweeps/<name>/sweep.json`` (``outputs`` is ``./outputs``, or
``$SYMSEARCH_OUTPUTS``) beside the persistent Optuna study (``optuna.db``). The space is kept as
it was validated at launch, so editing the YAML later never changes a resumed sweep.

A sweep runs as one or more *segments*, each a Ray Tune experiment: the first holds the original
budget, and every ``resume --num-samples`` that raises the budget adds one more, which continues
the same Optuna study (Ray cannot change ``num_samples`` of an experiment on restore).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import SymsearchError


class SweepError(SymsearchError):
    """A sweep cannot be started, found or resumed; the message is one line for the user."""


def outputs_dir() -> Path:
    return Path(os.environ.get("SYMSEARCH_OUTPUTS", "outputs")).resolve()


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
    created_at: str = field(
        default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    )

    @property
    def folder(self) -> Path:
        return sweep_folder(self.name)

    @property
    def budget(self) -> int:
        return sum(s.num_samples for s in self.segments)

    @property
    def optuna_storage(self) -> str:
        return f"sqlite:///{self.folder / 'optuna.db'}"

    def experiment_path(self, segment: Segment) -> str:
        return f"{self.storage_path.rstrip('/')}/{segment.experiment}"

    def add_segment(self, num_samples: int) -> Segment:
        suffix = "" if not self.segments else f"-part{len(self.segments) + 1}"
        segment = Segment(f"{self.name}{suffix}", num_samples)
        self.segments.append(segment)
        return segment

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / "sweep.json.tmp"
        temporary.write_text(json.dumps(asdict(self), indent=2))
        temporary.replace(self.folder / "sweep.json")  # atomic: a kill never leaves half a record


def sweep_folder(name: str) -> Path:
    return outputs_dir() / "sweeps" / name


def load_record(name: str) -> SweepRecord:
    path = sweep_folder(check_name(name, "sweep name")) / "sweep.json"
    if not path.is_file():
        known = ", ".join(list_sweeps()) or "none yet"
        raise SweepError(f"no sweep named {name!r} under {path.parents[1]} (sweeps: {known})")
    try:
        raw = json.loads(path.read_text())
        raw["segments"] = [Segment(**s) for s in raw.get("segments", [])]
        record = SweepRecord(**raw)
    except (OSError, ValueError, TypeError, AttributeError) as error:  # cut short, edited
        raise SweepError(f"{path}: damaged sweep record ({_reason(error)}); restore it or "
                         "start the sweep again under another name") from None  # fmt: skip
    if record.name != name or not isinstance(record.space, dict) or not record.segments:
        raise SweepError(f"{path}: damaged sweep record (its name, space or segments)")
    return record


def _reason(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"not JSON: {error.msg.lower()}, line {error.lineno} column {error.colno}"
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__


def list_sweeps() -> list[str]:
    root = outputs_dir() / "sweeps"
    if not root.is_dir():
        return []
    return sorted(p.parent.name for p in root.glob("*/sweep.json"))
