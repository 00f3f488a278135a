"""Sweeps on Ray Tune (L4): search spaces for Optuna, the trainable, launch, resume and status.

Importing this package does not import ray; the functions that need it import it when called.
"""

from pipeline.sweep._cluster import ClusterSettings, load_cluster
from pipeline.sweep._launch import (
    Prepared,
    prepare_sweep,
    resume_sweep,
    start_sweep,
)
from pipeline.sweep._record import (
    SweepError,
    SweepRecord,
    list_sweeps,
    load_record,
    sweep_folder,
)
from pipeline.sweep._search import define_by_run, grid_points, meaningful
from pipeline.sweep._status import all_statuses, sweep_status
from pipeline.sweep._strategy import make_sampler

__all__ = [
    "ClusterSettings",
    "Prepared",
    "SweepError",
    "SweepRecord",
    "all_statuses",
    "define_by_run",
    "grid_points",
    "list_sweeps",
    "load_cluster",
    "load_record",
    "make_sampler",
    "meaningful",
    "prepare_sweep",
    "resume_sweep",
    "start_sweep",
    "sweep_folder",
    "sweep_status",
]

# ``pipeline.sweep(space, ...)`` runs a sweep from Python (pipeline.api.sweep): the module is
# callable, so the subpackage and the API's entry point share the name.
import sys as _sys

from pipeline import _SweepModule

_sys.modules[__name__].__class__ = _SweepModule
