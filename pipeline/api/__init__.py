"""symsearch from Python: sweeps, their tables as dataframes, the best trial and its model.

>>> import pipeline
>>> s = pipeline.sweep("search_spaces/quickstart.yaml", num_samples=2, epochs=2)  # doctest: +SKIP
>>> s.trials()[["candidate_group", "val_metric"]]  # doctest: +SKIP
>>> model = s.load_model(s.best().trial_id)  # doctest: +SKIP

Importing this package is light: Ray, Dask and DuckDB load when a sweep or an analysis runs.
"""

from pipeline.api._best import Best
from pipeline.api._detect import Detection, detect
from pipeline.api._sweep import Sweep, open_sweep, sweep
from pipeline.api._tables import read_table
from pipeline.sweep import BestTrialError

__all__ = [
    "Best",
    "BestTrialError",
    "Detection",
    "ModelStateError",
    "Predictor",
    "RawInputError",
    "Sweep",
    "TrainedModel",
    "detect",
    "open_sweep",
    "read_table",
    "sweep",
]


def __getattr__(name: str):
    """The model classes import torch: only when asked for."""
    if name in ("TrainedModel", "ModelStateError", "Predictor", "RawInputError"):
        from pipeline.api import _model

        return getattr(_model, name)
    raise AttributeError(f"module 'pipeline.api' has no attribute {name!r}")
