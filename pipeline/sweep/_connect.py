"""Ray for this process: a fresh local Ray, or a running cluster joined; once per process.

The driver's only door to ``ray.init``: launch and resume call ``connect`` through this module
(``_connect.connect(...)``), so a test or the CLI fuzzer that replaces it forbids Ray everywhere.
"""

from __future__ import annotations

import logging
import os

from pipeline.space import SearchSpace

RAY_DEFAULTS = {
    "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0",  # workers use this interpreter, not a uv run
    "TUNE_GLOBAL_CHECKPOINT_S": "1",  # experiment state at least every second: a killed driver
    # loses at most a second of Tune's bookkeeping (trials' own progress is in their saved
    # states in the store; what the gap loses, resume sets aside: _reconcile.py)
}


def connect(
    address: str | None, verbose: bool, space: SearchSpace, dashboard: bool = False
) -> None:
    """Start a local Ray (no address) or join a running cluster; once per process. With
    ``dashboard``, Ray's dashboard too, and its URL on stderr."""
    for key, value in RAY_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if not verbose:  # Ray's classic reporter is silent at verbose=0; ours shows progress, and
        # a failed or retried trial in one line instead of Tune's traceback
        os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
        os.environ.setdefault("TUNE_PRINT_ALL_TRIAL_ERRORS", "0")
    import ray

    if ray.is_initialized():
        return
    runtime_env = None
    if "factory" in space.dataset:  # workers import the factory module from this directory
        paths = [os.getcwd(), *filter(None, [os.environ.get("PYTHONPATH")])]
        runtime_env = {"env_vars": {"PYTHONPATH": os.pathsep.join(paths)}}
    # No address: a fresh local Ray ("local"), never a stale cluster some `ray start` left
    # behind; inside a Ray job RAY_ADDRESS names the job's cluster.
    address = address or os.environ.get("RAY_ADDRESS") or "local"
    context = ray.init(
        address=address,
        include_dashboard=dashboard,
        log_to_driver=verbose,
        logging_level=logging.INFO if verbose else logging.WARNING,
        runtime_env=runtime_env,
    )
    if dashboard:
        from pipeline.sweep._dashboard import say_ray_dashboard

        say_ray_dashboard(context)
