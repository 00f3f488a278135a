"""The sweep's best trial for the trackers: chosen from the store as ``symsearch status``
chooses it (validation metric, the sweep's direction, failures out), its saved model (the state
``best`` and ``Sweep.load_model`` read) logged as an artifact: MLflow on the trial's latest run
(the experiment tagged ``best_trial_id``), W&B as a ``model`` artifact of a ``best-model`` run,
TensorBoard as ``best_model/<trial_id>.pt`` and ``best_model/best.json`` in the Ray
experiment's folder, beside the event files. A trackers' failure here never fails the sweep."""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.sweep._record import outputs_dir

if TYPE_CHECKING:
    from pipeline.sweep._trainable import TrialSpec

SUMMARY = ("trial_id", "candidate_group", "val_metric", "test_metric", "discovered_group")


@dataclass(frozen=True)
class BestModel:
    summary: dict[str, Any]  # SUMMARY's fields of the best trial's row
    payload: bytes  # its saved state (``torch.load(weights_only=True)`` reads it)

    @property
    def trial_id(self) -> str:
        return str(self.summary["trial_id"])

    def write(self, folder: Path) -> Path:
        path = folder / f"{self.trial_id}.pt"
        path.write_bytes(self.payload)
        return path


def best_model(spec: TrialSpec, mode: str) -> BestModel | None:
    """The sweep's best trial so far and its saved state; None without either."""
    from pipeline.store import StoreError, open_store, read_blob, read_table
    from pipeline.sweep._best import BestTrialError, choose_best
    from pipeline.sweep._trainable import state_name

    try:
        location = open_store(spec.store)
        rows = read_table(location, "trials", spec.sweep).to_pylist()
        best, _ = choose_best(rows, "val_metric", space_mode=mode)
        payload = read_blob(location, state_name(spec.sweep, best["trial_id"]))
    except (BestTrialError, StoreError):
        return None
    if payload is None:
        return None
    return BestModel({key: best.get(key) for key in SUMMARY}, payload)


def mlflow_experiment(uri: str, name: str) -> None:
    """The sweep's experiment, created with its artifacts under ``outputs/mlflow-artifacts``
    where the tracking store is a SQLite file (MLflow would put them in the working
    directory); a server's URI keeps the server's artifact store."""
    import mlflow

    if not uri.startswith("sqlite:"):
        return
    client = mlflow.MlflowClient(uri)
    if client.get_experiment_by_name(name) is None:
        artifacts = outputs_dir() / "mlflow-artifacts"
        artifacts.mkdir(parents=True, exist_ok=True)
        client.create_experiment(name, artifact_location=artifacts.resolve().as_uri())


def set_mlflow_tags(uri: str, run_id: str, tags: dict[str, str]) -> None:
    import mlflow

    client = mlflow.MlflowClient(uri)
    for key, value in tags.items():
        client.set_tag(run_id, key, value)


def log_to_mlflow(uri: str, sweep: str, best: BestModel) -> None:
    """The model as the artifact ``model/<trial_id>.pt`` of the best trial's latest run."""
    import mlflow

    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name(sweep)
    if experiment is None:
        return
    runs = client.search_runs(
        [experiment.experiment_id],
        filter_string=f"tags.trial_id = '{best.trial_id}'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    if not runs:
        return
    with _told("mlflow"), tempfile.TemporaryDirectory() as folder:
        client.log_artifact(runs[0].info.run_id, str(best.write(Path(folder))), "model")
        client.set_experiment_tag(experiment.experiment_id, "best_trial_id", best.trial_id)


def log_to_wandb(sweep: str, best: BestModel, folder: str) -> None:
    """A ``best-model`` run in the sweep's group holding the model as a ``model`` artifact."""
    import os

    import wandb

    with _told("wandb"), tempfile.TemporaryDirectory() as scratch:
        run = wandb.init(
            project=os.environ.get("WANDB_PROJECT", "symsearch"),
            group=sweep,
            job_type="best-model",
            name=f"{sweep}-best",
            dir=folder,
            mode=os.environ.get("WANDB_MODE", "offline"),
            config=best.summary,
        )
        artifact = wandb.Artifact(f"{sweep}-model", type="model", metadata=best.summary)
        artifact.add_file(str(best.write(Path(scratch))))
        run.log_artifact(artifact)
        run.finish()


def save_beside_experiment(trial: Any, best: BestModel) -> None:
    """``best_model/<trial_id>.pt`` and ``best.json`` in the Ray experiment's folder (through
    the experiment's own filesystem: local disk or the store's bucket)."""
    storage = trial.storage
    folder = f"{storage.experiment_fs_path}/best_model"
    with _told("tensorboard"):
        storage.storage_filesystem.create_dir(folder)
        for name, payload in (
            (f"{best.trial_id}.pt", best.payload),
            ("best.json", json.dumps(best.summary, default=str).encode()),
        ):
            with storage.storage_filesystem.open_output_stream(f"{folder}/{name}") as out:
                out.write(payload)


class _told:
    """A tracker that cannot take the model: one warning line, the sweep goes on."""

    def __init__(self, tracker: str) -> None:
        self.tracker = tracker

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: BaseException | None, _: Any) -> bool:
        if error is None or not isinstance(error, Exception):
            return False
        line = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
        print(
            f"warning: {self.tracker}: the best trial's model was not logged "
            f"({type(error).__name__}: {line})",
            file=sys.stderr,
        )
        return True
