"""Ray's dashboard for ``sweep --dashboard`` and ``resume --dashboard``: its packages checked
before anything starts, its URL printed once Ray runs."""

from __future__ import annotations

import sys

from pipeline.errors import SymsearchError


class DashboardError(SymsearchError):
    """A dashboard asked for whose packages are missing; names the extra."""


def check_ray_dashboard() -> None:
    """Ray starts its dashboard only with ray[default]'s packages (Ray's own check)."""
    try:
        import ray.dashboard.optional_deps  # noqa: F401
    except ImportError as error:
        raise DashboardError(
            f"--dashboard: Ray's dashboard needs ray[default] ({error}); pip "
            "install 'symsearch[dashboard]' installs it"
        ) from None


def say_ray_dashboard(context: object) -> None:
    """The dashboard's URL from ray.init's context (a joined cluster: the cluster's own)."""
    url = getattr(context, "dashboard_url", None)
    if url:
        print(f"Ray dashboard: http://{url}", file=sys.stderr, flush=True)
    else:
        print("Ray dashboard: not running (this Ray was started without it)", file=sys.stderr)
