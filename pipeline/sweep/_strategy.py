"""How a sweep searches: the Optuna sampler, the Ray searcher and the trial scheduler.

Defaults chosen by ``bench/search_efficiency.py`` (the methods page, "Search strategy"): under
``searcher: discover`` ASHA judges trials from the end of the augmentation warm-up (after the
probe they share one group: rungs compare hyperparameters) and TPE models from the first result
(the probe's narrowing and the defaults trial start it); under the other searchers every trial
runs to its end unless the space asks for ASHA, whose first rung then comes a few epochs after
the warm-up (a group is not judged before its widths can learn), and TPE starts after a few
random trials, not ten. The scheduler's name is decided with the space
(``SearchSpace._name_the_scheduler``); its grace period and the start-up trials here.
"""

from __future__ import annotations

import warnings
from typing import Any

from pipeline.space import SearchSpace


def build_searcher(
    space: SearchSpace, mode: str, study_name: str, storage: Any, found: str | None = None
) -> Any:
    """The space's Ray searcher over the Optuna study ``study_name`` (``storage`` None: in
    memory), never running a point twice (``_dedup.py``); ``searcher: discover`` narrows TPE
    to ``found`` (the sweep's data test of its most general candidate), or where none ran, to
    what a probe trial finds."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna_search = OptunaFactory(space.metric, mode, study_name, storage)
    if space.searcher != "discover":
        from pipeline.sweep._dedup import DedupSearch

        return DedupSearch(space, optuna_search(space), space.metric, mode)
    from pipeline.sweep._discover import DiscoverSearch

    return DiscoverSearch(space, optuna_search, space.metric, mode, found=found)


class OptunaFactory:
    """Ray's OptunaSearch for a space (picklable: the discovery strategy builds it late)."""

    def __init__(self, metric: Any, mode: Any, study_name: str, storage: Any) -> None:
        self.metric, self.mode, self.study_name, self.storage = metric, mode, study_name, storage

    def __call__(self, space: SearchSpace, part: str = "") -> Any:
        """The searcher over study ``study_name + part`` (a widened search is a new study:
        a study's choices of a parameter cannot change)."""
        from pipeline.sweep._optuna import ResumableOptunaSearch
        from pipeline.sweep._search import define_by_run

        return ResumableOptunaSearch(
            space=define_by_run(space),
            metric=self.metric,
            mode=self.mode,
            sampler=make_sampler(space),
            study_name=self.study_name + part,
            storage=self.storage,
        )


def make_sampler(space: SearchSpace) -> Any:
    """The space's Optuna sampler, seeded with its ``searcher_seed``."""
    import optuna

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    if space.searcher == "random":
        return optuna.samplers.RandomSampler(seed=space.searcher_seed)
    # group=True: TPE models conditional parameters per candidate group
    return optuna.samplers.TPESampler(
        seed=space.searcher_seed,
        multivariate=True,
        group=True,
        n_startup_trials=startup_trials(space),
    )


STARTUP_TRIALS = 3  # TPE's random trials before it models, where nothing better starts it


def startup_trials(space: SearchSpace) -> int:
    """The space's ``startup_trials``; unset: none under ``searcher: discover``, whose first
    trial after the probe runs the space's defaults on the narrowed space (an informed start
    that random trials would only dilute), else STARTUP_TRIALS."""
    if space.startup_trials is not None:
        return space.startup_trials
    return 0 if space.searcher == "discover" else STARTUP_TRIALS


def scheduler_for(space: SearchSpace, mode: str) -> Any:
    """FIFO, or ASHA (Hyperband with ``brackets`` > 1) with time in epochs: Tune's
    training_iteration restarts at 1 when a retried or resumed trial continues."""
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

    if space.scheduler.name == "fifo":
        return FIFOScheduler()
    max_t = _max_epochs(space)  # a grace period beyond the trials' epochs means no early stops
    return ASHAScheduler(
        time_attr="epoch",
        max_t=max_t,
        metric=first(space.metric),
        mode=first(mode),
        grace_period=min(grace_period(space), max_t),
        reduction_factor=space.scheduler.reduction_factor,
        brackets=space.scheduler.brackets,
    )


def first(value: Any) -> Any:
    """The first of a list of objectives (ASHA ranks trials by one), or the one."""
    return value[0] if isinstance(value, list | tuple) else value


GRACE_AFTER_WARMUP = 3  # epochs a trial trains with free widths before a rung judges it


def grace_period(space: SearchSpace) -> int:
    """The scheduler's grace period, or ``aug_warmup`` (its largest searched value): under
    ``discover``, whose trials after the probe share the discovered group and differ only in
    hyperparameters that show at once (the earliest rung measured best); under the other
    searchers plus GRACE_AFTER_WARMUP, since a rung that judges candidate groups while their
    widths are frozen stops the ones that would discover the symmetry."""
    if space.scheduler.grace_period is not None:
        return space.scheduler.grace_period
    from pipeline.space import Choice, Distribution, TrialConfig

    fixed = space.trial.get("aug_warmup", TrialConfig().aug_warmup)
    warmup = space.dimensions().get("aug_warmup", fixed)
    if isinstance(warmup, Choice):
        warmup = max(warmup.choices)
    elif isinstance(warmup, Distribution):
        warmup = warmup.high
    after = 0 if space.searcher == "discover" else GRACE_AFTER_WARMUP
    return max(1, int(warmup) + after)


def _max_epochs(space: SearchSpace) -> int:
    from pipeline.space import Choice, Distribution, TrialConfig

    epochs = space.dimensions().get("epochs", space.trial.get("epochs", TrialConfig().epochs))
    if isinstance(epochs, Choice):
        return int(max(epochs.choices))
    if isinstance(epochs, Distribution):
        return int(epochs.high)
    return int(epochs)
