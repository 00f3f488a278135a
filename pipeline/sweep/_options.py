"""How a sweep runs, whoever starts it: one options object for the command line (``symsearch
sweep``, ``symsearch resume``), the Python API (``pipeline.sweep(...)``, ``Sweep.resume``) and
resume, in the manner of Ray Tune's ``TuneConfig``.

A launch reads every field; what it settles (the name, the store's URL, the Ray address, the
concurrency, Ray's verbosity, the study storage) is kept in the sweep record, and a resume takes
those back from the record (``with_record``): a resume changes only its budget, how its remaining
trials run (``overrides``: ``space.with_resume_overrides``) and the flags of its own run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from pipeline.space import SpaceError
from pipeline.sweep._trust import check_arguments

if TYPE_CHECKING:
    from pipeline.sweep._cluster import ClusterSettings
    from pipeline.sweep._record import SweepRecord

KEPT = ("max_concurrent", "verbose", "study_storage", "cluster")  # a resume keeps the launch's
RESUME_ONLY = ("allow_factories", "trust_store")  # a launch imports only the user's factories


@dataclass(frozen=True)
class SweepOptions:
    """A sweep's options; every field left at its default leaves the choice to the space file
    (then the cluster file, then symsearch's defaults). Flags win over the cluster file."""

    name: str | None = None
    """The sweep's name. Launch: default the space's ``name``, else the file's stem (``sweep``
    for a space given from Python). Resume: required, the sweep to continue."""
    store: str | None = None
    """The store's URL. Launch: default the cluster file's, else ``outputs/store``. Resume: read
    the record from this store (any machine), else from this machine's ``outputs/``."""
    num_samples: int | None = None
    """Launch: the budget (default the space's ``num_samples``; a grid runs every point once).
    Resume: raise the budget to this many trials (never lower)."""
    max_concurrent: int | None = None
    """Trials at once (default the space's, else all that fit). Kept by resume."""
    address: str | None = None
    """The Ray cluster to join (``auto``: the one running here); default the cluster file's,
    else a fresh local Ray. Resume: a record's own address is never joined on its word."""
    verbose: bool = False
    """Ray's own progress tables and worker logs instead of one line per trial. Kept by resume."""
    study_storage: str | None = None
    """An Optuna RDB URL for the study (default the space's ``study_storage``, else SQLite under
    ``outputs/sweeps/<name>/``). Kept by resume."""
    cluster: ClusterSettings | None = None
    """A cluster file's settings (``load_cluster``): address, store, default resources. Launch
    only."""
    overrides: Mapping[str, Any] = field(default_factory=dict)
    """``--set`` pairs, dotted (``{"epochs": 2, "dataset.limit": 300}``). Launch:
    ``space.with_overrides``; resume: only how trials run (``space.with_resume_overrides``)."""
    dashboard: bool = False
    """Start Ray's dashboard and print its URL (needs ``ray[default]``)."""
    force: bool = False
    """Take the sweep's lock even where another driver holds it."""
    allow_factories: tuple[str, ...] = ()
    """Resume: the ``module:function`` factories the record names that may be imported."""
    trust_store: bool = False
    """Resume: import every factory the record names (whoever writes the store runs code)."""

    def __post_init__(self) -> None:
        # one spelling for equal inputs: a list of factories is a tuple, a mapping a dict
        if isinstance(self.allow_factories, list):
            object.__setattr__(self, "allow_factories", tuple(self.allow_factories))
        if isinstance(self.overrides, Mapping) and not isinstance(self.overrides, dict):
            object.__setattr__(self, "overrides", dict(self.overrides))

    def check_launch(self) -> None:
        """Types and bounds of a launch's options (a SpaceError line, never a TypeError later)."""
        check_arguments(
            self.num_samples,
            self.max_concurrent,
            name=self.name,
            store=self.store,
            address=self.address,
            study_storage=self.study_storage,
            verbose=self.verbose,
        )
        _check_overrides(self.overrides)
        for key in RESUME_ONLY:
            if getattr(self, key) != _default(key):
                raise SpaceError(f"{key}: only a resume reads factories from a sweep record")

    def check_resume(self) -> None:
        """Types and bounds of a resume's options; the settings a launch fixed stay fixed."""
        check_arguments(self.num_samples, name=self.name, store=self.store, address=self.address)
        if self.name is None:
            raise SpaceError("name: a resume names the sweep to continue")
        _check_overrides(self.overrides)
        for key in KEPT:
            if getattr(self, key) != _default(key):
                raise SpaceError(f"{key}: a resumed sweep keeps the setting it was launched with")

    def with_record(self, record: SweepRecord) -> SweepOptions:
        """These options with what the launch settled (name, store URL, address, concurrency,
        verbosity, study storage) as the sweep record keeps it."""
        return replace(
            self,
            name=record.name,
            store=record.store,
            address=record.address,
            max_concurrent=record.max_concurrent,
            verbose=record.verbose,
            study_storage=record.study_storage,
        )


def _default(key: str) -> Any:
    found = next(f for f in fields(SweepOptions) if f.name == key)
    return found.default_factory() if callable(found.default_factory) else found.default


def _check_overrides(overrides: Any) -> None:
    if not isinstance(overrides, Mapping):
        raise SpaceError(f"overrides: expected a mapping, got {type(overrides).__name__}")
