"""Experiment tracking: the space's ``loggers`` wired to Ray Tune's own logger callbacks.

``tensorboard`` (Tune's TBXLoggerCallback), ``mlflow`` (MLflowLoggerCallback) and ``wandb``
(WandbLoggerCallback) each get, per trial, the whole trial configuration, every epoch's metrics
(stepped by epoch, so a retried or resumed trial continues its curves) and the final test,
discovery and robustness figures (``final_figures``). The tracking packages are optional (the
``tracking`` extra) and imported only here, when a sweep asks for them.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from pipeline.space import SpaceError
from pipeline.sweep._record import outputs_dir

if TYPE_CHECKING:  # an annotation only: the trainable imports this module to report
    from pipeline.sweep._trainable import TrialSpec

LOGGER_MODULES = {"tensorboard": "tensorboardX", "mlflow": "mlflow", "wandb": "wandb"}
EXTRA = "pip install 'symsearch[tracking]'"


def check_loggers(loggers: list[str]) -> None:
    """Every requested logger's package imports; else one line naming the extra."""
    for logger in loggers:
        module = LOGGER_MODULES[logger]
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise SpaceError(
                f"loggers: {logger} needs the {module} package, which cannot be "
                f"imported ({error}); {EXTRA} installs it"
            ) from None


def mlflow_tracking_uri() -> str:
    """$MLFLOW_TRACKING_URI, else a SQLite file under outputs/ (MLflow's own local default
    kind; its older ./mlruns file store is refused by MLflow 3 unless opted into)."""
    return (
        os.environ.get("MLFLOW_TRACKING_URI")
        or f"sqlite:///{(outputs_dir() / 'mlflow.db').resolve()}"
    )


def tracking_callbacks(loggers: list[str], spec: TrialSpec) -> list[Any]:
    """Tune callbacks for the requested loggers, in the order given."""
    makers = {"tensorboard": _tensorboard, "mlflow": _mlflow, "wandb": _wandb}
    return [makers[logger](spec) for logger in loggers]


def full_config(spec: TrialSpec, params: dict[str, Any]) -> dict[str, Any]:
    """The trial's whole configuration (fixed and searched settings, defaults filled in)."""
    from pipeline.space import make_config

    return make_config(spec.values(params)).model_dump()


def final_figures(
    discovery: list[dict[str, Any]], robustness: list[dict[str, Any]]
) -> dict[str, Any]:
    """A trial's discovery and robustness rows as a few numbers a tracker can chart:
    per generator its normalized width and whether it is active; per shift (and plain or
    averaged prediction) the mean metric in and out of the training support and the worst."""
    figures: dict[str, Any] = {}
    for row in discovery:
        key = f"discovery/{row['generator']}"
        figures[f"{key}/normalized_width"] = row["normalized_width"]
        figures[f"{key}/active"] = float(bool(row["active"]))
    curves: dict[str, list[dict[str, Any]]] = {}
    for row in robustness:
        averaged = "averaged" if row["averaged"] else "plain"
        curves.setdefault(f"robustness/{row['shift']}/{averaged}", []).append(row)
    for key, rows in curves.items():
        metrics = [r["metric"] for r in rows if r["metric"] is not None]
        for part, inside in (("in_support", True), ("out_of_support", False)):
            values = [
                r["metric"]
                for r in rows
                if r["metric"] is not None and r.get("in_support") is inside
            ]
            if values:
                figures[f"{key}/{part}"] = sum(values) / len(values)
        if metrics:
            figures[f"{key}/worst"] = min(metrics)
    return figures


def _stepped_by_epoch(result: dict[str, Any]) -> dict[str, Any]:
    """Tune's loggers step by timesteps_total when given, else by training_iteration, which
    restarts at 1 in a retried or resumed trial; the epoch does not."""
    return {**result, "timesteps_total": result.get("epoch") or None}


def _tensorboard(spec: TrialSpec) -> Any:
    from ray.tune.logger import TBXLoggerCallback

    class TensorBoardTracker(TBXLoggerCallback):
        """Event files in each trial's folder of the Ray experiment (`tensorboard --logdir`)."""

        def log_trial_result(self, iteration: int, trial: Any, result: dict) -> None:
            super().log_trial_result(iteration, trial, _stepped_by_epoch(result))

    return TensorBoardTracker()


def _mlflow(spec: TrialSpec) -> Any:
    from ray.air.integrations.mlflow import MLflowLoggerCallback

    class MLflowTracker(MLflowLoggerCallback):
        """One MLflow run per trial in the experiment named after the sweep."""

        def log_trial_start(self, trial: Any) -> None:
            shared, self.tags = self.tags, {**self.tags, "trial_id": trial.trial_id}
            try:  # the run, tagged with the store's trial id; the searched values as params
                super().log_trial_start(trial)
            finally:
                self.tags = shared
            whole = {
                k: v for k, v in full_config(spec, trial.config).items() if k not in trial.config
            }
            self.mlflow_util.log_params(run_id=self._trial_runs[trial], params_to_log=whole)

        def log_trial_result(self, iteration: int, trial: Any, result: dict) -> None:
            super().log_trial_result(iteration, trial, _stepped_by_epoch(result))

    return MLflowTracker(
        tracking_uri=mlflow_tracking_uri(), experiment_name=spec.sweep, tags={"sweep": spec.sweep}
    )


def _wandb(spec: TrialSpec) -> Any:
    from ray.air.integrations.wandb import WandbLoggerCallback

    class WandbTracker(WandbLoggerCallback):
        """One W&B run per trial, grouped by sweep; offline unless WANDB_MODE says otherwise."""

        def _start_logging_actor(self, trial: Any, exclude_results: list[str], **init: Any) -> None:
            init["config"] = {**full_config(spec, trial.config), **init.get("config", {})}
            super()._start_logging_actor(trial, exclude_results, **init)

    folder = outputs_dir() / "wandb"
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("WANDB_MODE", "offline")  # Ray asks for an API key unless offline
    return WandbTracker(
        project=os.environ.get("WANDB_PROJECT", "symsearch"),
        group=spec.sweep,
        mode=os.environ["WANDB_MODE"],
        dir=str(folder),
    )
