"""Cluster files (clusters/*.yaml): a Ray cluster-launcher config whose ``metadata.symsearch``
says where the sweep's Ray is, where its store is, the default per-trial resources and Dask."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.space import Resources, SpaceError, first_error, read_yaml


class DaskSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scheduler: str | None = None  # a running cluster's address; None: threads
    workers: int | None = Field(None, ge=1)  # a local cluster of N processes


class ClusterSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str | None = None  # None: start a local Ray; "auto": join the one running here
    store: str | None = None
    resources: Resources | None = None  # per trial, unless the search space sets its own
    dask: DaskSettings = Field(default_factory=DaskSettings)


def load_cluster(path: str | Path) -> ClusterSettings:
    """Read ``metadata.symsearch`` of a cluster file; every problem is one line naming the field."""
    path = Path(path)
    raw = read_yaml(path, f"--cluster {path}", "cluster")
    metadata = raw.get("metadata") if isinstance(raw, dict) else None
    settings = metadata.get("symsearch") if isinstance(metadata, dict) else None
    if not isinstance(settings, dict):
        raise SpaceError(f"--cluster {path}: metadata.symsearch: missing (see clusters/local.yaml)")
    try:
        return ClusterSettings(**settings)
    except ValidationError as error:
        raise SpaceError(f"--cluster {path}: {first_error(error, 'metadata.symsearch')}") from None


def with_cluster_resources(space: Any, cluster: ClusterSettings | None) -> Any:
    """The space with the cluster's default resources, unless it sets its own."""
    if cluster is None or cluster.resources is None or "resources" in space.model_fields_set:
        return space
    return space.model_copy(update={"resources": cluster.resources})
