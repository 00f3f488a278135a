"""Analyses of a result store with Dask (L3): symmetry discovery, robustness under distribution
shift, tolerance cost and the search itself, written as tables, PNG plots and report.md.

Importing this package imports neither dask nor matplotlib; ``analyze`` does, when called.
"""

from pipeline.analysis._load import load_table
from pipeline.analysis._run import Analysis, AnalysisError, analyze, check_dask_dashboard
from pipeline.analysis._summaries import sweep_verdict

__all__ = [
    "Analysis",
    "AnalysisError",
    "analyze",
    "check_dask_dashboard",
    "load_table",
    "sweep_verdict",
]
