"""symsearch: distributed hyperparameter and symmetry search.

The import package is ``pipeline``; the distribution and command are ``symsearch``. Importing this
package stays cheap (no torch, ray or dask) so that the command line starts fast; the Python API
loads on first use:

    pipeline.sweep(space, name=..., store=..., num_samples=..., **overrides) -> Sweep
    pipeline.open_sweep(name, store=...) -> Sweep
    pipeline.read_table(store, table, sweep=None, backend="pandas")
    pipeline.run_trial(config, report=None)
    pipeline.detect(space_or_dataset, group=None) -> Detection  (the data test alone)
"""

import types

__version__ = "0.1.0"

_API = {
    "open_sweep": "pipeline.api",
    "read_table": "pipeline.api",
    "Sweep": "pipeline.api",
    "run_trial": "pipeline.trial",
    "detect": "pipeline.api",
}


class _SweepModule(types.ModuleType):
    """``pipeline.sweep`` is both the sweeps subpackage (L4) and the API's entry point: calling
    the module runs ``pipeline.api.sweep``. (A function of that name would be replaced by the
    subpackage as soon as anything imports ``pipeline.sweep``.)"""

    def __call__(self, space, **options):
        from pipeline.api import sweep

        return sweep(space, **options)


def __getattr__(name: str):
    """The API's names, imported when first used."""
    import importlib

    if name == "sweep":
        return importlib.import_module("pipeline.sweep")  # it makes itself callable
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")


__all__ = ["Sweep", "__version__", "detect", "open_sweep", "read_table", "run_trial", "sweep"]
