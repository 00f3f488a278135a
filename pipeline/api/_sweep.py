"""Sweeps from Python: launch, reopen, read, pick the best trial, load its model, analyze."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.api._tables import Backend


def sweep(
    space: str | Path | dict[str, Any],
    *,
    name: str | None = None,
    store: str | None = None,
    num_samples: int | None = None,
    max_concurrent: int | None = None,
    address: str | None = None,
    study_storage: str | None = None,
    verbose: bool = False,
    force: bool = False,
    **overrides: Any,
) -> Sweep:
    """Run a sweep on Ray Tune, as ``symsearch sweep`` does, and return it.

    ``space``: a search space file or the same content as a dict. ``overrides`` are ``--set``
    pairs: ``epochs=5`` fixes a trial setting for every trial, ``scheduler={"grace_period": 2}``
    or ``dataset={"limit": 500}`` change those sections' keys, ``searcher="random"`` a sweep
    setting. The other keywords are ``pipeline.sweep.SweepOptions``'s fields (the options
    ``symsearch sweep`` builds from its flags). Bad input raises a
    ``pipeline.errors.SymsearchError`` before Ray starts.
    """
    from pipeline.space import load_space, parse_space
    from pipeline.sweep import SweepOptions, prepare_sweep, start_sweep

    given = parse_space(space, "space") if isinstance(space, dict) else Path(space)
    if isinstance(given, Path):
        given = load_space(given)
        name = name if name is not None else given.name or Path(space).stem
    options = SweepOptions(
        name=name,
        store=store,
        num_samples=num_samples,
        max_concurrent=max_concurrent,
        address=address,
        verbose=verbose,
        study_storage=study_storage,
        overrides=_dotted(overrides),
        force=force,
    )
    prepared = prepare_sweep(given, options)
    if not start_sweep(prepared):
        _interrupted(prepared.record.name, prepared.record.space)
    return Sweep(prepared.record.name, prepared.record.store)


def _interrupted(name: str, space: dict[str, Any]) -> None:
    """Ctrl-C (or a stopped cluster) ended the run early: how to finish it, in one line (with
    the factories the space names, which a resume from the store imports only when allowed)."""
    import sys

    from pipeline._util.factories import named_factories, resume_flags

    factories = named_factories(space)
    allowed = f"allow_factories={factories!r}" if factories else ""
    print(
        f"sweep {name} was interrupted: `symsearch resume {name}{resume_flags(factories)}` (or "
        f"pipeline.open_sweep({name!r}).resume({allowed})) continues it",
        file=sys.stderr,
    )


def _dotted(overrides: dict[str, Any]) -> dict[str, Any]:
    """``dataset={"limit": 500}`` -> ``{"dataset.limit": 500}`` (the ``--set`` spelling)."""
    flat: dict[str, Any] = {}
    for key, value in overrides.items():
        if key in ("dataset", "model", "scheduler", "resources") and isinstance(value, dict):
            flat.update({f"{key}.{option}": v for option, v in value.items()})
        else:
            flat[key] = value
    return flat


def open_sweep(name: str, store: str | None = None) -> Sweep:
    """A sweep that ran before: its record from the store (any machine), or from this
    machine's outputs/ without ``store``."""
    from pipeline.sweep import load_record

    return Sweep(name, load_record(name, store).store)


class Sweep:
    """One sweep: its tables (latest attempts only), its best trial and that trial's model."""

    def __init__(self, name: str, store: str) -> None:
        self.name, self.store = name, store

    def __repr__(self) -> str:
        return f"Sweep({self.name!r}, store={self.store!r})"

    @property
    def record(self) -> Any:
        """The sweep's record (``pipeline.sweep.SweepRecord``), read afresh from the store."""
        from pipeline.sweep import load_record

        return load_record(self.name, self.store)

    @property
    def finished(self) -> bool:
        return all(segment.finished for segment in self.record.segments)

    def status(self) -> dict[str, Any]:
        """Trials by state, the best trial, the store and the experiments (``symsearch status``)."""
        from pipeline.sweep import sweep_status

        return sweep_status(self.record)

    def table(self, table: str, backend: Backend = "pandas") -> Any:
        """One table of this sweep, each record's latest attempt only."""
        from pipeline.api._tables import read_table

        return read_table(self.store, table, self.name, backend=backend)

    def trials(self, backend: Backend = "pandas") -> Any:
        return self.table("trials", backend)

    def epochs(self, backend: Backend = "pandas") -> Any:
        return self.table("epochs", backend)

    def discovery(self, backend: Backend = "pandas") -> Any:
        return self.table("discovery", backend)

    def data_tests(self, backend: Backend = "pandas") -> Any:
        """The sweep's data tests: a row per (candidate, test seed, generator), TV curve too."""
        return self.table("data_tests", backend)

    def robustness(self, backend: Backend = "pandas") -> Any:
        return self.table("robustness", backend)

    def best(self, metric: str = "val_metric", mode: str | None = None) -> Any:
        """The best trial that did not fail (``pipeline.api.Best``: ``trial_id``, ``row``,
        ``config``, ``space()``, ``state``) by ``metric``, in the sweep's direction for the
        validation and test metrics, smaller-is-better for errors, losses and seconds."""
        from pipeline.api._best import best_of

        rows = self.table("trials", "arrow").to_pylist()
        if not rows:
            from pipeline._util.text import name_hint
            from pipeline.api._tables import open_location
            from pipeline.store import sweeps_in
            from pipeline.sweep import BestTrialError

            names = sweeps_in(open_location(self.store))
            hint = name_hint(self.name, names)
            raise BestTrialError(f"sweep {self.name}: no trials in the store {self.store}{hint}")
        return best_of(rows, self.name, self.state_url, metric, mode, self._space_mode())

    def _space_mode(self) -> str | None:
        """The space's optimization direction; None for trials stored without a sweep record
        (``symsearch trial --store``), whose dataset's direction then decides."""
        from pipeline.sweep import SweepError

        try:
            return self.record.space.get("mode")
        except SweepError:
            return None

    def state_url(self, trial_id: str) -> str:
        """Where the trial's saved state lives in the store."""
        from pipeline.sweep import state_name

        return f"{self.store.rstrip('/')}/{state_name(self.name, trial_id)}"

    def load_model(
        self,
        trial_id: str | None = None,
        device: str = "cpu",
        *,
        allow_factories: tuple[str, ...] = (),
        trust_store: bool = False,
    ) -> Any:
        """The trial's trained network and augmentation (``pipeline.api.TrainedModel``) from its
        saved state, on ``device``; without ``trial_id``, the best trial's. Group and dataset
        factories the stored configuration names are imported only when ``allow_factories``
        lists them, or with ``trust_store`` (all of them: whoever wrote the store chose them)."""
        from pipeline.api._model import load_model
        from pipeline.api._tables import open_location
        from pipeline.space import make_config
        from pipeline.sweep import factory_policy

        allowed = factory_policy(allow_factories, trust_store)
        row = self.best().row if trial_id is None else self._row(trial_id)
        with allowed:
            config = make_config(_config_values(row["config_json"]))
            return load_model(open_location(self.store), self.name, row["trial_id"], config, device)

    def predictor(
        self,
        trial_id: str | None = None,
        device: str = "cpu",
        *,
        allow_factories: tuple[str, ...] = (),
        trust_store: bool = False,
    ) -> Any:
        """The trial's model as a function of raw inputs of its dataset's kind
        (``pipeline.api.Predictor``): the dataset's own preprocessing (raw 8x8 digits become
        the padded images the network saw), then the trial's averaged prediction; without
        ``trial_id``, the best trial's. Arguments as in ``load_model``."""
        from pipeline.api._model import Predictor

        model = self.load_model(
            trial_id, device, allow_factories=allow_factories, trust_store=trust_store
        )
        return Predictor(model)

    def _row(self, trial_id: str) -> dict[str, Any]:
        import pyarrow.compute as pc

        from pipeline.api._model import ModelStateError

        trials = self.table("trials", "arrow")
        found = trials.filter(pc.equal(trials["trial_id"], trial_id)).to_pylist()
        if not found:
            raise ModelStateError(f"sweep {self.name} has no trial {trial_id!r}")
        return found[0]

    def analyze(
        self,
        out: str | Path | None = None,
        *,
        workers: int | None = None,
        scheduler: str | None = None,
    ) -> Any:
        """``symsearch analyze``: summaries, plots and report.md under ``out`` (default
        outputs/<sweep>/analysis); returns ``pipeline.analysis.Analysis``."""
        from pipeline.analysis import analyze
        from pipeline.api._tables import open_location
        from pipeline.sweep import outputs_dir, study_location

        folder = Path(out) if out is not None else outputs_dir() / self.name / "analysis"
        location = open_location(self.store)
        return analyze(
            location,
            self.name,
            folder,
            scheduler=scheduler,
            workers=workers,
            study=study_location(self.name, location.url),
        )

    def resume(
        self,
        num_samples: int | None = None,
        *,
        allow_factories: tuple[str, ...] = (),
        trust_store: bool = False,
        force: bool = False,
        **overrides: Any,
    ) -> Sweep:
        """Continue the sweep (``symsearch resume``); ``num_samples`` raises its budget;
        ``allow_factories``/``trust_store`` as in ``load_model``."""
        from pipeline.sweep import SweepOptions, resume_sweep

        options = SweepOptions(
            name=self.name,
            store=self.store,
            num_samples=num_samples,
            overrides=_dotted(overrides),
            force=force,
            allow_factories=allow_factories,
            trust_store=trust_store,
        )
        prepared, finished = resume_sweep(options)
        if not finished:
            _interrupted(self.name, prepared.record.space)
        return self


def _config_values(config_json: str) -> dict[str, Any]:
    import json

    return json.loads(config_json)
