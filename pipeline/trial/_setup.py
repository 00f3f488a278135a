"""A trial's setup: data, model and augmentation built and checked before any training.

Configuration errors (a device this machine lacks, model options outside their bounds, a
candidate group that cannot act on the data, a network that fails on two examples) raise a
SymsearchError here, before a trial trains or a sweep starts.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from pipeline.actions import act
from pipeline.data import BUILTIN, Dataset, build_dataset, lattice_size
from pipeline.discovery import DataTest
from pipeline.errors import SymsearchError
from pipeline.groups import Group, get_group
from pipeline.kinds import kind_record
from pipeline.methods.augment import LearnableAugmentation
from pipeline.methods.learned_start import data_start
from pipeline.methods.symmetrize import Task, loss
from pipeline.methods.sympe import SymPE, with_encoding_channel
from pipeline.models import (
    DataSpec,
    build_model,
    check_output,
    is_factory_model,
    model_config,
)
from pipeline.space import SpaceError, TrialConfig

if TYPE_CHECKING:
    from pipeline.trial._rows import RunContext

RANDOM_BASIS_LR = 0.02  # a random start's basis rate: found rotation on 900 rotated digits


@dataclass
class TrialState:
    """Everything needed to continue a trial after its last finished epoch (a checkpoint)."""

    epoch: int
    epochs: list[dict[str, Any]]
    model: dict[str, Any]
    augmentation: dict[str, Any]
    optimizer: dict[str, Any]
    generators: dict[str, torch.Tensor]

    def to_dict(self) -> dict[str, Any]:
        """Plain containers and tensors only: ``torch.load(..., weights_only=True)`` reads it."""
        return asdict(self)


@dataclass
class Setup:
    """Everything built before training."""

    config: TrialConfig
    dataset: Dataset
    task: Task
    model: nn.Module
    augmentation: LearnableAugmentation
    device: torch.device
    basis_lr: float = 0.0  # a learned basis's rate, resolved by basis_plan
    data_test: DataTest | None = None  # the sweep's test of this data and candidate, if run
    context: RunContext | None = None  # where and how it runs (its ``trials`` row says)

    @property
    def candidate(self) -> Group:
        """The candidate group, as the augmentation holds it (float32, on the trial's device)."""
        return self.augmentation.group


def build(config: TrialConfig, dataset: Dataset | None = None) -> Setup:
    """Data, model and augmentation for ``config``, checked by one forward pass on a tiny slice
    (``dry_run``); configuration errors raise a SymsearchError before any training. The cheap
    checks (device, model options) come before the dataset is built. ``dataset``: one already
    built from ``config.dataset`` (a sweep checks each candidate against one dataset)."""
    device = _device(config.device)
    check_model_options(config)
    if dataset is None:
        dataset = build_dataset(config.dataset, config.data_seed)
    candidate = check_candidate(config.candidate_group, dataset)
    task = Task(dataset.kind, dataset.task, dataset.metric, dataset.target_kind)
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        torch.manual_seed(config.seed)  # module initializers draw from the global generator
        warnings.filterwarnings("ignore", "Initializing zero-element")  # dry_run says why
        model = _model(config, dataset, candidate).to(device)
    augmentation = LearnableAugmentation(
        candidate.to(dtype=torch.float32),
        dataset.kind,
        config.prior,
        config.init_width,
        config.temperature,
        config.seed,
        lattice_size(dataset),
    ).to(device)
    basis_init, basis_lr = basis_plan(config, dataset.kind)
    if basis_init == "data" and candidate.learnable:
        augmentation.start_basis(_data_start(augmentation, dataset, config.seed))
    setup = Setup(config, dataset, task, model, augmentation, device, basis_lr)
    dry_run(setup)
    return setup


def basis_plan(config: TrialConfig, kind: str) -> tuple[str, float]:
    """(start, learning rate) of a learned basis, ``auto`` and None resolved: a data start
    where examples are ordered arrays (images), a random one on point sets; the task's gradient
    moves a data start only when ``basis_lr`` asks for it (it pulls it off the data's
    symmetry), a random start at RANDOM_BASIS_LR (SEMoLA)."""
    init = config.basis_init
    if init == "auto":
        init = kind_record(kind).basis_start
    if config.basis_lr is not None:
        return init, config.basis_lr
    return init, 0.0 if init == "data" else RANDOM_BASIS_LR


def _data_start(augmentation: LearnableAugmentation, dataset: Dataset, seed: int) -> torch.Tensor:
    """Starts for a learned basis along the training data's most spread directions."""
    labels = dataset.train.targets if dataset.task == "classification" else None
    rng = torch.Generator().manual_seed(seed)
    return data_start(
        augmentation.group.to(dtype=torch.float64),
        dataset.kind,
        augmentation.basis_mask.cpu(),
        augmentation.learned_mask().cpu(),
        dataset.train.inputs,
        labels,
        rng,
    )


def check_candidate(name: str, dataset: Dataset) -> Group:
    """The candidate group for this dataset; SpaceError when it cannot act on the data, found
    by moving one example with one element (before anything sized by the group is built:
    S2000's augmentation alone would take minutes)."""
    candidate = get_group(name, learned_domain=dataset.learned_domain)
    for kind in filter(None, (dataset.kind, dataset.target_kind)):
        if kind not in candidate.acts_on:
            raise SpaceError(
                f"candidate_group: {candidate.name} does not act on {kind} data "
                f"(it acts on: {', '.join(sorted(candidate.acts_on))})"
            )
    element = candidate.sample(1, torch.Generator().manual_seed(0))
    try:
        act(candidate, element, dataset.train.inputs[:1], dataset.kind)
        dataset.act_targets(candidate, element, dataset.train.targets[:1])
    except ValueError as error:
        raise SpaceError(
            f"candidate_group: {candidate.name} cannot act on this data: {first_line(error)}"
        ) from None
    return candidate


def check_model_options(config: TrialConfig) -> None:
    """Model options against the backbone's schema, before the dataset is built when its kind
    is known (built-in datasets); a factory's kind is known once it is built (build_model)."""
    name = config.dataset.get("name")
    if isinstance(name, str) and name in BUILTIN and not is_factory_model(config.model):
        model_config(BUILTIN[name].kind, config.model)


def dry_run(setup: Setup) -> None:
    """One augmented forward pass and loss on two training examples, without gradients, in
    eval mode and with every generator's state kept: options that fit each other's types but
    not the data (a network whose pooling leaves nothing of a small image) fail here in one
    line instead of in the first training batch."""
    x = setup.dataset.train.inputs[:2].to(setup.device)
    y = setup.dataset.train.targets[:2].to(setup.device)
    kept = {name: g.get_state() for name, g in generators(setup, torch.Generator()).items()}
    training = setup.model.training
    setup.model.eval()
    factory = setup.config.model.get("factory")
    caught = Exception if factory else (RuntimeError, ValueError, IndexError)  # a user's code
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            moved, elements = setup.augmentation(x, torch.Generator().manual_seed(0))
            y = setup.dataset.act_targets(setup.candidate, elements, y)
            output = setup.model(moved)
            if factory:  # before the loss: a wrong shape can broadcast into a silent loss
                spec = data_spec(setup.dataset, tuple(x.shape[1:]))
                check_output(str(factory), spec, output, len(x))
            loss(setup.task, output, y)
    except SymsearchError:
        raise
    except caught as error:
        config = setup.config
        raise SpaceError(
            f"model {config.model or '{}'} with candidate_group "
            f"{config.candidate_group} fails on the data: "
            f"{first_line(error)}"
        ) from None
    finally:
        setup.model.train(training)
        for name, generator in generators(setup, torch.Generator()).items():
            if name in kept and name != "train":
                generator.set_state(kept[name])


def generators(setup: Setup, rng: torch.Generator) -> dict[str, torch.Generator]:
    """The trial's random generators by name: the training one (``rng``), and SymPE's."""
    found = {"train": rng}
    if hasattr(setup.model, "rng"):  # SymPE draws canonicalizing elements
        found["sympe"] = setup.model.rng
    return found


def first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines() or [type(error).__name__]
    return lines[0][:300]


def _device(name: str) -> torch.device:
    """The trial's device; SpaceError when this machine has no such device."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if (device.index or 0) >= count:
            raise SpaceError(f"device: {name} is not available here ({count} CUDA devices)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise SpaceError("device: mps is not available here")
    return device


def _model(config: TrialConfig, dataset: Dataset, candidate: Group) -> nn.Module:
    in_shape = tuple(dataset.train.inputs.shape[1:])
    if config.symmetry_breaking == "sympe":
        # canonicalized over the candidate group: the trial's own hypothesis, never the
        # dataset's declared group (which only scores correctness)
        try:  # data or a candidate SymPE cannot canonicalize: a configuration error
            backbone = _backbone(config, dataset, with_encoding_channel(dataset.kind, in_shape))
            return SymPE(backbone, candidate, dataset.kind, in_shape, config.seed)
        except ValueError as error:
            raise SpaceError(str(error)) from None
    return _backbone(config, dataset, in_shape)


def _backbone(config: TrialConfig, dataset: Dataset, in_shape: tuple[int, ...]) -> nn.Module:
    spec = data_spec(dataset, in_shape)
    return build_model(
        spec.kind,
        spec.task,
        spec.in_shape,
        spec.out_features,
        spec.out_shape,
        config.model,
        num_classes=spec.num_classes,
        target_kind=spec.target_kind,
    )


def data_spec(dataset: Dataset, in_shape: tuple[int, ...]) -> DataSpec:
    """What a network for ``dataset`` is built from: per-example outputs (``out_features``) or
    per-element ones (``out_shape``) where the targets move with the inputs."""
    target_shape = tuple(dataset.train.targets.shape[1:])
    if dataset.task == "classification":
        out_features, out_shape = dataset.num_classes, None
    elif dataset.target_kind is not None:
        out_features, out_shape = None, target_shape
    else:
        out_features, out_shape = max(1, math.prod(target_shape)), None
    return DataSpec(
        dataset.kind,
        dataset.task,
        in_shape,
        out_features,
        out_shape,
        dataset.num_classes if dataset.task == "classification" else None,
        dataset.target_kind,
    )
