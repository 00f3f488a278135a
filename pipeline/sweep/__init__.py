"""Sweeps on Ray Tune (L4): search spaces for Optuna, the trainable, launch, resume and status.

Importing this package does not import ray; the functions that need it import it when called.
"""

from pipeline.sweep._best import BestTrialError, choose_best
from pipeline.sweep._cluster import ClusterSettings, load_cluster
from pipeline.sweep._dashboard import check_ray_dashboard
from pipeline.sweep._options import SweepOptions
from pipeline.sweep._prepare import Prepared, prepare_sweep
from pipeline.sweep._probe import most_general
from pipeline.sweep._record import (
    SweepError,
    SweepRecord,
    list_sweeps,
    load_record,
    outputs_dir,
    sweep_folder,
)
from pipeline.sweep._resume import resume_sweep
from pipeline.sweep._run import start_sweep
from pipeline.sweep._search import define_by_run, grid_points, meaningful
from pipeline.sweep._status import all_statuses, sweep_status
from pipeline.sweep._strategy import make_sampler
from pipeline.sweep._study import study_location
from pipeline.sweep._trainable import save_state, state_name
from pipeline.sweep._trust import factory_policy

__all__ = [
    "BestTrialError",
    "ClusterSettings",
    "Prepared",
    "SweepError",
    "SweepOptions",
    "SweepRecord",
    "all_statuses",
    "check_ray_dashboard",
    "choose_best",
    "define_by_run",
    "factory_policy",
    "grid_points",
    "list_sweeps",
    "load_cluster",
    "load_record",
    "make_sampler",
    "meaningful",
    "most_general",
    "outputs_dir",
    "prepare_sweep",
    "resume_sweep",
    "save_state",
    "start_sweep",
    "state_name",
    "study_location",
    "sweep_folder",
    "sweep_status",
]

# ``pipeline.sweep(space, ...)`` runs a sweep from Python (pipeline.api.sweep): the module is
# callable, so the subpackage and the API's entry point share the name.
import sys as _sys

from pipeline import _SweepModule

_sys.modules[__name__].__class__ = _SweepModule
