"""Search spaces (YAML) and trial configurations, validated with pydantic.

A search space file::

    name: digits_rotation            # default sweep name
    dataset: {name: digits, transform: SO2}
    model: {}                        # backbone options for the data kind
    trial: {epochs: 30}              # fixed trial settings (any TrialConfig field)
    search:                          # searched trial settings
      candidate_group: [trivial, C4, SO2, affine2]         # a list: categorical
      reg: {distribution: loguniform, low: 0.01, high: 0.3, default: 0.05}
      seed: 0                                               # a constant
    metric: val_metric               # what the searcher optimizes
    mode: max                        # or min; default: the dataset's direction
    num_samples: 16                  # sweep settings (used by `symsearch sweep`)

Every error names its field (``search.reg.low: ...``) in one line.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline._util.factories import model_section
from pipeline._util.safe_yaml import check_shape, read_yaml
from pipeline._util.text import did_you_mean
from pipeline.errors import SpaceError

DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(:[0-9]{1,3})?")
Model = Annotated[dict[str, Any], AfterValidator(model_section)]  # options, or a factory's


class TrialConfig(BaseModel):
    """One point of a search space: everything a trial needs. Defaults are settings that work."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: dict[str, Any] = Field(default_factory=lambda: {"name": "digits"})
    model: Model = Field(default_factory=dict)
    candidate_group: str = "trivial"
    prior: Literal["uniform", "gaussian"] = "uniform"
    init_width: float = Field(0.3, gt=0, le=10)  # fraction of each generator's natural range
    reg: float = Field(0.1, ge=0, le=100)  # weight of -||widths||: larger favours symmetry;
    # on digits 0.05 left the rotation width of SO2 data collapsing for 2 seeds in 5
    tolerance: float | None = Field(None, ge=0, le=1e6)  # None: average over the learned
    # distribution (eval_samples draws); eps: over the candidate group, k from the averaging
    # complexity
    symmetry_breaking: Literal["none", "sympe"] = "none"
    lr: float = Field(3e-3, gt=0, le=1)  # network (Adam)
    aug_lr: float = Field(0.02, ge=0, le=1)  # augmentation (Adam); with the warm-up, 0.02 let
    # digits' rotation width pass its range in 30 epochs while the other widths stayed < 0.1
    aug_warmup: int = Field(3, ge=0)  # epochs with frozen widths: until the network has learned
    # something, the task gives widths no signal and the regularizer alone would inflate them
    weight_decay: float = Field(1e-4, ge=0, le=1)  # network only, never the augmentation
    epochs: int = Field(30, ge=1, le=100_000)
    batch_size: int = Field(64, ge=1, le=1_000_000)
    eval_samples: int = Field(8, ge=1, le=100_000)  # k of the averaged predictor at test time
    val_samples: int = Field(4, ge=1, le=100_000)  # k for the per-epoch validation metric
    temperature: float = Field(0.5, gt=0, le=10)  # Gumbel-softmax of the discrete part
    basis_orthogonality: float = Field(0.1, ge=0)  # learned<k>: keeps generators apart
    basis_sparsity: float = Field(0.0, ge=0)  # learned<k>: L1 on normalized generators
    basis_lr: float | None = Field(None, ge=0, le=1)  # learned<k>: the basis's own rate
    # (Adam). None: 0 after a data start (on shifted digits the task's gradient turned a start
    # at span cosine 0.90 to 0.59 at rate 0.002, 0.34 at 0.02), 0.02 after a random one (which
    # found rotation on rotated digits)
    basis_warmup: int = Field(6, ge=0)  # learned<k>: epochs after aug_warmup in which the
    # direction is found under widths held at least at init_width; then each learned width
    # restarts at init_width of its direction's catalog range. On 900 rotated digits the
    # direction reached cosine 0.99 within 6 such epochs
    basis_init: Literal["auto", "data", "random"] = "auto"  # learned<k>: start at the
    # directions along which the training data spread most (methods.learned_start) or seeded
    # Gaussian; auto: data on images, random on point sets (their points come in any order, so
    # their coordinates' covariance shows no direction: cosine 0.002 to SO2 on pointclouds)
    cosine_threshold: float = Field(0.9, gt=0, le=1)  # learned generator matches the truth
    active_threshold: float = Field(0.5, gt=0, le=10)  # normalized width that counts as found
    robustness: Literal["all", "true_group", "none"] = "all"  # which generators' shift grids
    robustness_every: int = Field(0, ge=0, le=100_000)  # epochs between per-epoch robustness
    # scores (the validation split moved along the true and candidate generators); 0: never
    discovery: Literal["widths", "test", "both"] = "test"  # test: the data's two-sample test
    # per generator (pipeline.discovery) decides ``active`` and the discovered group (the
    # widths stay beside it as what the model uses: used_by_model, model_group); both: the
    # widths decide where the test is undecided; widths: the widths alone, no test
    test_seed: int = Field(0, ge=0, le=2**63 - 1)  # the data test's seed (its reader, its
    # held-out draws): a sweep tests each (dataset, candidate) once, whatever the trial seeds
    test_repeats: int = Field(1, ge=1, le=20)  # data tests at seeds test_seed, +1, ...: the
    # verdict is what most repeats say, with their agreement
    seed: int = Field(0, ge=0, le=2**63 - 1)  # model init, batches, augmentation samples
    data_seed: int = Field(0, ge=0, le=2**63 - 1)  # dataset generation and splits: fixed
    # across trial seeds
    device: str = "auto"  # auto: cuda when available; whether a device exists: trial.build

    @field_validator("candidate_group")
    @classmethod
    def _known_group(cls, name: str) -> str:
        from pipeline._util.factories import factory_names_only

        if ":" in name and factory_names_only():  # stored data, read only: never imported
            return _factory_spelling(name)
        from pipeline.groups import UnknownGroupError, get_group  # torch: only when validating

        try:
            get_group(name)
        except UnknownGroupError as error:
            raise ValueError(str(error)) from None
        return name

    @field_validator("device")
    @classmethod
    def _device_name(cls, name: str) -> str:
        if not DEVICE_PATTERN.fullmatch(name):
            raise ValueError(f"expected auto, cpu, mps, cuda or cuda:N, got {name!r}")
        return name

    @field_validator("dataset")
    @classmethod
    def _dataset_named(cls, spec: dict[str, Any]) -> dict[str, Any]:
        if ("name" in spec) == ("factory" in spec):
            raise ValueError("give exactly one of name (a built-in dataset) or factory")
        return spec

    def to_json(self) -> str:
        return json.dumps(self.model_dump(), sort_keys=True)


FACTORY_IN_NAME = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


def _factory_spelling(name: str) -> str:
    """A group name that names a factory, checked for spelling only (nothing imported)."""
    if len(name) > 1000 or not FACTORY_IN_NAME.search(name):
        raise ValueError(f"{name[:200]!r}: not a group name")
    return name


SEARCHABLE = [f for f in TrialConfig.model_fields if f not in ("dataset", "model")]


class Distribution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    distribution: Literal["uniform", "loguniform", "randint"]
    low: float
    high: float
    default: float | None = None

    @model_validator(mode="after")
    def _a_range(self) -> Distribution:
        """A range the searcher can draw from: Optuna would only refuse it inside Ray."""
        if not all(math.isfinite(v) for v in (self.low, self.high)):
            raise ValueError(f"low and high must be finite numbers, got {self.low}, {self.high}")
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) is above high ({self.high})")
        if self.distribution == "loguniform" and self.low <= 0:
            raise ValueError(f"a loguniform range needs low > 0, got {self.low}")
        whole = self.low.is_integer() and self.high.is_integer()
        if self.distribution == "randint" and not whole:
            raise ValueError(f"randint needs whole low and high, got {self.low}, {self.high}")
        if self.default is not None and not self.low <= self.default <= self.high:
            raise ValueError(f"default ({self.default}) is outside [{self.low}, {self.high}]")
        return self

    def middle(self) -> float | int:
        """The value a single trial uses when nothing is given: the (geometric) middle."""
        if self.default is not None:
            return self.default
        if self.distribution == "loguniform":
            return math.sqrt(self.low * self.high)
        if self.distribution == "randint":
            return int((self.low + self.high) // 2)
        return (self.low + self.high) / 2


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choices: list[Any] = Field(min_length=1, max_length=10_000)
    default: Any = None

    def middle(self) -> Any:
        return self.default if self.default is not None else self.choices[0]


class Resources(BaseModel):
    """Per trial. A fractional gpu packs several trials on one device (0.25: four)."""

    model_config = ConfigDict(extra="forbid")

    cpu: float = Field(1.0, gt=0, le=1024)
    gpu: float = Field(0.0, ge=0, le=64)


class Scheduler(BaseModel):
    """asha stops weak trials early (grace_period epochs first); fifo runs every trial out.
    Unnamed: decided by ``SearchSpace._name_the_scheduler``."""

    model_config = ConfigDict(extra="forbid")

    name: Literal["asha", "fifo"] | None = None
    grace_period: int | None = Field(None, ge=1, le=100_000)  # None: from aug_warmup (see
    # pipeline.sweep._strategy.grace_period)
    reduction_factor: float = Field(2.0, gt=1, le=1000)
    brackets: int = Field(1, ge=1, le=10)  # > 1: Hyperband's brackets (asynchronous)


Objective = Literal["val_metric", "train_loss", "robustness"]
Mode = Literal["max", "min"]
ROBUSTNESS_EVERY = 2  # robustness_every of a space that optimizes robustness and sets none


class SearchSpace(BaseModel):
    """A whole YAML file. Sweep settings are read here and used by the sweep command."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str = ""
    dataset: dict[str, Any]
    model: Model = Field(default_factory=dict)
    trial: dict[str, Any] = Field(default_factory=dict)
    search: dict[str, Any] = Field(default_factory=dict)
    metric: Objective | list[Objective] = "val_metric"  # reported every epoch; a list: a
    # multi-objective search (Optuna), ASHA ranks by the first
    mode: Mode | list[Mode] | None = None
    num_samples: int = Field(8, ge=1, le=1_000_000)  # bounds: a typo'd 1e30 is refused
    max_concurrent: int | None = Field(None, ge=1, le=100_000)
    searcher: Literal["discover", "optuna", "random", "grid"] = "discover"  # discover: a probe
    # of the most general candidate tests the data's generators, then TPE searches their groups
    startup_trials: int | None = Field(None, ge=0, le=100_000)  # TPE's random trials before it
    # models; None: 0 under discover (the defaults trial starts it), else 3
    searcher_seed: int = Field(0, ge=0, le=2**32 - 1)  # Optuna's sampler: same seed, same
    # suggestions in the same order of results
    scheduler: Scheduler = Field(default_factory=Scheduler)
    resources: Resources = Field(default_factory=Resources)
    max_failures: int = Field(1, ge=0, le=1000)
    study_storage: str | None = None  # the Optuna study's RDB URL (postgresql://... for a
    # cluster); none: SQLite beside the sweep record under outputs/ (one machine)
    checkpoint_seconds: float = Field(10.0, ge=0, le=86_400)  # a trial checkpoints at most
    # this often (0: every epoch); a resumed trial repeats at most these seconds of training
    loggers: list[Literal["tensorboard", "mlflow", "wandb"]] = Field(
        default_factory=list, max_length=3
    )
    # experiment trackers fed by Ray Tune's logger callbacks (the `tracking` extra)
    compact: bool = True  # a finished sweep rewrites its table files as a few per table
    # (`symsearch compact`): a direct read of <store>/<table>/sweep=<name>/ then reads what
    # `symsearch query` reads
    batch_trials: int = Field(1, ge=1, le=1024)  # > 1: one Ray trial trains up to this many
    # configurations that share data and network as one batched model (sweep._batching)

    @field_validator("trial", "search")
    @classmethod
    def _known_parameters(cls, values: dict[str, Any]) -> dict[str, Any]:
        for key in values:
            if key not in SEARCHABLE:
                raise ValueError(
                    f"unknown parameter {key!r}{did_you_mean(key, SEARCHABLE)} "
                    f"(known: {', '.join(SEARCHABLE)})"
                )
        return values

    @field_validator("loggers")
    @classmethod
    def _each_logger_once(cls, loggers: list[str]) -> list[str]:
        if len(set(loggers)) != len(loggers):
            raise ValueError(f"each logger once, got {loggers}")
        return loggers

    @model_validator(mode="after")
    def _objectives(self) -> SearchSpace:
        """A list of metrics: distinct, with one mode each (or none: each metric's own)."""
        metrics = self.metric if isinstance(self.metric, list) else [self.metric]
        if not metrics or len(set(metrics)) != len(metrics):
            raise ValueError(f"metric: expected distinct objectives, got {self.metric}")
        if isinstance(self.mode, list) and len(self.mode) != len(metrics):
            raise ValueError(f"mode: {len(self.mode)} modes for {len(metrics)} metrics")
        if isinstance(self.mode, list) and not isinstance(self.metric, list):
            raise ValueError("mode: a list of modes needs a list of metrics")
        return self

    @model_validator(mode="after")
    def _name_the_scheduler(self) -> SearchSpace:
        """An unnamed scheduler: asha where one of its settings is given (not a silent fifo);
        else asha under ``discover`` (measured by ``bench/search_efficiency.py``: the probe
        settles the group, so rungs compare only hyperparameters) and fifo under the other
        searchers (grid runs every point out; for TPE, asha showed no gain). Not marked as set,
        so a re-read with ``--set scheduler.grace_period=N`` or another searcher decides again."""
        scheduler = self.scheduler
        if scheduler.name is None:
            asha = scheduler.model_fields_set & {"grace_period", "reduction_factor", "brackets"}
            by_searcher = "asha" if self.searcher == "discover" else "fifo"
            scheduler.__dict__["name"] = "asha" if asha else by_searcher
        return self

    @model_validator(mode="after")
    def _batching(self) -> SearchSpace:
        """What a batched sweep cannot do: ASHA's rule applies per member with one bracket, and
        trackers log one run per Ray trial (a batch)."""
        if self.batch_trials > 1 and self.scheduler.brackets > 1:
            raise ValueError("batch_trials: batched trials support one ASHA bracket (brackets: 1)")
        if self.batch_trials > 1 and self.loggers:
            raise ValueError("batch_trials: loggers log one run per Ray trial; use batch_trials: 1")
        return self

    def objectives(self) -> list[str]:
        return list(self.metric) if isinstance(self.metric, list) else [self.metric]

    def dimensions(self) -> dict[str, Distribution | Choice | Any]:
        """Each searched parameter as a Distribution, a Choice, or a constant."""
        return {key: _dimension(key, value) for key, value in self.search.items()}


def _dimension(key: str, value: Any) -> Distribution | Choice | Any:
    try:
        if isinstance(value, list):
            return Choice(choices=value)
        if isinstance(value, dict) and "distribution" in value:
            return Distribution(**value)
        if isinstance(value, dict) and "choices" in value:
            return Choice(**value)
    except ValidationError as error:
        raise SpaceError(first_error(error, f"search.{key}")) from None
    return value


def first_error(
    error: ValidationError, prefix: str = "", model: type[BaseModel] | None = None
) -> str:
    """The first problem, as ``field.path: message``; an unknown key of ``model`` (or of a model
    nested in it) gets the closest known one as a suggestion."""
    first = error.errors()[0]
    where = ".".join(str(p) for p in (prefix, *first["loc"]) if p != "")
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden" and model is not None and first["loc"]:
        known = _fields_at(model, first["loc"][:-1])
        message = (
            f"unknown key{did_you_mean(str(first['loc'][-1]), known)} (known: {', '.join(known)})"
            if known
            else message
        )
    return f"{where}: {message}" if where else message


def _fields_at(model: type[BaseModel], path: tuple) -> list[str]:
    """The field names of the model found by following ``path`` from ``model`` ([] if none)."""
    for part in path:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def load_space(path: str | Path) -> SearchSpace:
    """Read and validate a search space file; every problem is one SpaceError line."""
    path = Path(path)
    return parse_space(read_yaml(path, str(path), "search space"), str(path))


def parse_space(raw: Any, label: str = "space") -> SearchSpace:
    """Validate a search space given as a mapping (a YAML file's content, or a dict from Python)."""
    if not isinstance(raw, dict):
        raise SpaceError(f"{label}: a search space is a mapping with at least `dataset:`")
    check_shape(raw, label)
    try:
        space = SearchSpace(**raw)
    except ValidationError as error:
        raise SpaceError(first_error(error, model=SearchSpace)) from None
    overlap = set(space.trial) & set(space.search)
    if overlap:
        raise SpaceError(f"search.{sorted(overlap)[0]}: also fixed under trial:; keep one")
    for key, dimension in space.dimensions().items():
        for value in _concrete_values(dimension):
            _validate_value(key, value)
    for key, value in space.trial.items():
        _validate_value(key, value, section="trial")
    return space


def _concrete_values(dimension: Any) -> list[Any]:
    if isinstance(dimension, Choice):
        return [*dimension.choices, *([dimension.default] if dimension.default is not None else [])]
    if isinstance(dimension, Distribution):
        ends = [dimension.low, dimension.high]
        if dimension.distribution == "randint":
            ends = [int(dimension.low), int(dimension.high)]
        return [*ends, *([dimension.default] if dimension.default is not None else [])]
    return [dimension]


def _validate_value(key: str, value: Any, section: str = "search") -> None:
    """Check one value of one trial parameter against TrialConfig's field rules."""
    try:
        TrialConfig.model_validate({key: value})
    except ValidationError as error:
        raise SpaceError(f"{section}.{first_error(error)}") from None


def trial_config(space: SearchSpace, overrides: dict[str, Any] | None = None) -> TrialConfig:
    """One trial from a space: ``overrides`` (key=value; dotted keys reach into dataset/model),
    else each searched parameter's default, else its first choice or middle."""
    values: dict[str, Any] = {"dataset": dict(space.dataset), "model": dict(space.model)}
    values.update(space.trial)
    for key, dimension in space.dimensions().items():
        values[key] = (
            dimension.middle() if isinstance(dimension, Distribution | Choice) else dimension
        )
    for key, value in (overrides or {}).items():
        _apply_override(values, key, value)
    return make_config(values)


def _apply_override(values: dict[str, Any], key: str, value: Any) -> None:
    section, _, option = key.partition(".")
    if option and section in ("dataset", "model"):
        values[section] = {**values[section], option: value}
    elif key in SEARCHABLE:
        values[key] = value
    else:
        raise SpaceError(
            f"--set {key}: unknown parameter{did_you_mean(key, SEARCHABLE)} "
            f"(known: {', '.join(SEARCHABLE)}, "
            "dataset.<option>, model.<option>)"
        )


SWEEP_SETTINGS = [
    f
    for f in SearchSpace.model_fields
    if f not in ("name", "description", "dataset", "model", "trial", "search")
]


def with_overrides(space: SearchSpace, overrides: dict[str, Any] | None) -> SearchSpace:
    """The space with ``--set key=value`` pairs applied, as ``symsearch trial`` reads them: a
    trial setting is fixed for every trial (and no longer searched), ``dataset.<option>`` and
    ``model.<option>`` reach into those sections, and sweep settings (``num_samples``,
    ``scheduler.grace_period``, ...) replace the space's. The result is validated again."""
    if not overrides:
        return space
    raw = space.model_dump(exclude_unset=True)
    for key, value in overrides.items():
        section, _, option = key.partition(".")
        if option and section in ("dataset", "model", "scheduler", "resources"):
            base = raw.get(section) or {}
            raw[section] = {**(base if isinstance(base, dict) else {}), option: value}
        elif key in SEARCHABLE:
            raw["trial"] = {**raw.get("trial", {}), key: value}
            raw["search"] = {k: v for k, v in raw.get("search", {}).items() if k != key}
        elif key in SWEEP_SETTINGS:
            raw[key] = value
        else:
            known = [*SEARCHABLE, *SWEEP_SETTINGS]
            raise SpaceError(
                f"--set {key}: unknown parameter{did_you_mean(key, known)} (known: "
                f"{', '.join(known)}, dataset.<option>, model.<option>)"
            )
    return parse_space(raw, "--set")


# What ``resume --set`` may change: how the remaining trials run and whether the finished sweep
# compacts its files, never what a trial is (its
# data, model and parameters stay the ones the sweep's finished trials had).
RESUMABLE = ("resources.cpu", "resources.gpu", "checkpoint_seconds", "compact")


def with_resume_overrides(space: SearchSpace, overrides: dict[str, Any]) -> SearchSpace:
    for key in overrides:
        if key not in RESUMABLE:
            raise SpaceError(
                f"--set {key}: a resumed sweep keeps its trials' settings; resume "
                f"can change {', '.join(RESUMABLE)}"
            )
    return with_overrides(space, overrides)


def check_setting(flag: str, field: str, value: Any) -> Any:
    """A sweep setting given by a flag or an API argument (``--num-samples``,
    ``max_concurrent=``): the same type and bounds as the space's field, one SpaceError line."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SpaceError(f"{flag}: expected a whole number, got {type(value).__name__}")
    try:
        SearchSpace.model_validate({"dataset": {"name": "digits"}, field: value}, strict=True)
    except ValidationError as error:
        message = first_error(error).partition(": ")[2] or "out of bounds"
        raise SpaceError(f"{flag}: {message} (got {str(value)[:200]})") from None
    return value


def make_config(values: dict[str, Any]) -> TrialConfig:
    try:
        return TrialConfig(**values)
    except ValidationError as error:
        raise SpaceError(first_error(error, model=TrialConfig)) from None
