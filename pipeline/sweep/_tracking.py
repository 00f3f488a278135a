"""Experiment tracking: the space's ``loggers`` wired to Ray Tune's own logger callbacks.

``tensorboard`` (Tune's TBXLoggerCallback), ``mlflow`` (MLflowLoggerCallback) and ``wandb``
(WandbLoggerCallback) each get, per trial, the whole trial configuration, every epoch's metrics
(stepped by epoch, so a retried or resumed trial continues its curves), the final test,
discovery (per generator: width, activity and the data test's verdict) and robustness figures
(``final_figures``) and the ``discovered_group``; Ray's own bookkeeping (process id, host,
timestamps, iteration counters) is not logged. When an experiment ends, the sweep's best trial
so far (``_tracking_best.py``) gets its saved model as an artifact. The tracking packages are
optional (the ``tracking`` extra) and imported only here, when a sweep asks for them.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from pipeline.space import SpaceError
from pipeline.sweep._figures import final_figures
from pipeline.sweep._record import outputs_dir

__all__ = ["final_figures", "tracked", "tracking_callbacks"]

if TYPE_CHECKING:  # an annotation only
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


def tracking_callbacks(loggers: list[str], spec: TrialSpec, mode: str) -> list[Any]:
    """Tune callbacks for the requested loggers, in the order given; ``mode``: the direction
    of the validation metric (the best trial's)."""
    makers = {"tensorboard": _tensorboard, "mlflow": _mlflow, "wandb": _wandb}
    return [makers[logger](spec, mode) for logger in loggers]


# What Ray adds to every result: its bookkeeping, not a trial's figures
RAY_FIELDS = frozenset(
    {
        "pid",
        "hostname",
        "node_ip",
        "timestamp",
        "date",
        "done",
        "time_this_iter_s",
        "time_total_s",
        "time_since_restore",
        "timesteps_since_restore",
        "iterations_since_restore",
        "training_iteration",
        "timesteps_total",
        "episodes_total",
        "trial_id",
        "experiment_id",
        "experiment_tag",
        "checkpoint_dir_name",
        "should_checkpoint",
        "config",
        "node",  # the trial's host/node, a text (the store's `node`)
    }
)
TEXT_FIELDS = ("discovered_group", "trial_status")  # logged as tags, config or text


def tracked(result: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
    """A Tune result as (step, numbers, texts): stepped by epoch (Tune's training_iteration
    restarts at 1 in a retried or resumed trial), Ray's bookkeeping left out."""
    step = result.get("epoch") or result.get("training_iteration") or 0
    numbers = {
        k: float(v) if isinstance(v, bool) else v  # discovery_correct: 1 or 0
        for k, v in result.items()
        if k not in RAY_FIELDS
        and isinstance(v, int | float)
        and v == v  # NaN: a failed trial's objective, not a value to chart
    }
    texts = {k: str(result[k]) for k in TEXT_FIELDS if result.get(k) is not None}
    return int(step), numbers, texts


def full_config(spec: TrialSpec, params: dict[str, Any]) -> dict[str, Any]:
    """The trial's whole configuration (fixed and searched settings, defaults filled in)."""
    from pipeline.space import make_config

    return make_config(spec.values(params)).model_dump()


def _tensorboard(spec: TrialSpec, mode: str) -> Any:
    from ray.tune.logger import TBXLoggerCallback

    class TensorBoardTracker(TBXLoggerCallback):
        """Event files in each trial's folder of the Ray experiment (`tensorboard --logdir`);
        the discovered group as text; the best model beside them (``best_model/``)."""

        def log_trial_result(self, iteration: int, trial: Any, result: dict) -> None:
            step, numbers, texts = tracked(result)
            super().log_trial_result(iteration, trial, {**numbers, "training_iteration": step})
            for key, text in texts.items():
                self._trial_writer[trial].add_text(key, text, global_step=step)

        def on_experiment_end(self, trials: list, **info: Any) -> None:
            super().on_experiment_end(trials, **info)
            from pipeline.sweep._tracking_best import best_model, save_beside_experiment

            found = best_model(spec, mode)
            if found is not None and trials:
                save_beside_experiment(trials[0], found)

    return TensorBoardTracker()


def _mlflow(spec: TrialSpec, mode: str) -> Any:
    from ray.air.integrations.mlflow import MLflowLoggerCallback

    uri = mlflow_tracking_uri()

    class MLflowTracker(MLflowLoggerCallback):
        """One MLflow run per trial in the experiment named after the sweep."""

        def setup(self, *args: Any, **kwargs: Any) -> None:
            from pipeline.sweep._tracking_best import mlflow_experiment

            mlflow_experiment(uri, spec.sweep)  # artifacts under outputs/ by default
            super().setup(*args, **kwargs)

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
            step, numbers, texts = tracked(result)
            run_id = self._trial_runs[trial]
            self.mlflow_util.log_metrics(run_id=run_id, metrics_to_log=numbers, step=step)
            if texts:
                from pipeline.sweep._tracking_best import set_mlflow_tags

                set_mlflow_tags(uri, run_id, texts)

        def on_experiment_end(self, trials: list, **info: Any) -> None:
            super().on_experiment_end(trials, **info)
            from pipeline.sweep._tracking_best import best_model, log_to_mlflow

            found = best_model(spec, mode)
            if found is not None:
                log_to_mlflow(uri, spec.sweep, found)

    return MLflowTracker(tracking_uri=uri, experiment_name=spec.sweep, tags={"sweep": spec.sweep})


def _wandb(spec: TrialSpec, mode: str) -> Any:
    from ray.air.integrations.wandb import WandbLoggerCallback

    class WandbTracker(WandbLoggerCallback):
        """One W&B run per trial, grouped by sweep; offline unless WANDB_MODE says otherwise;
        texts (the discovered group) go to the run's config."""

        def _start_logging_actor(self, trial: Any, exclude_results: list[str], **init: Any) -> None:
            init["config"] = {**full_config(spec, trial.config), **init.get("config", {})}
            super()._start_logging_actor(trial, exclude_results, **init)

        def log_trial_result(self, iteration: int, trial: Any, result: dict) -> None:
            step, numbers, texts = tracked(result)
            super().log_trial_result(iteration, trial, {**numbers, "epoch": step, "config": texts})

        def on_experiment_end(self, trials: list, **info: Any) -> None:
            super().on_experiment_end(trials, **info)
            from pipeline.sweep._tracking_best import best_model, log_to_wandb

            found = best_model(spec, mode)
            if found is not None:
                log_to_wandb(spec.sweep, found, str(folder))

    folder = outputs_dir() / "wandb"
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("WANDB_MODE", "offline")  # Ray asks for an API key unless offline
    return WandbTracker(
        project=os.environ.get("WANDB_PROJECT", "symsearch"),
        group=spec.sweep,
        mode=os.environ["WANDB_MODE"],
        dir=str(folder),
    )
