"""Built-in datasets by name, and user datasets from a ``package.module:function`` factory."""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pipeline._util.factories import import_function
from pipeline.data import digits, ising, pointclouds, signals, twobody
from pipeline.data._base import Dataset, DatasetError, parse_options


@dataclass(frozen=True)
class Variant:
    """One setting of a dataset's options, with the symmetry it makes true."""

    option: str
    true_group: str
    task: str = ""  # when it differs from the dataset's usual task
    metric: str = ""


@dataclass(frozen=True)
class Entry:
    """A built-in dataset: how to build it and what each transform option makes true."""

    build: Callable[[Any, int], Dataset]
    options: type
    kind: str
    task: str
    metric: str
    variants: tuple[Variant, ...]
    description: str


BUILTIN: dict[str, Entry] = {
    "digits": Entry(
        digits.build,
        digits.DigitsOptions,
        "image",
        "classification",
        "accuracy (max)",
        tuple(Variant(f"transform={t}", g) for t, g in digits.TRUE_GROUPS.items()),
        "scikit-learn's bundled 8x8 digits, upsampled to 16x16 and padded to 24x24",
    ),
    "pointclouds": Entry(
        pointclouds.build,
        pointclouds.PointcloudOptions,
        "points",
        "classification",
        "accuracy (max)",
        (
            Variant("dim=2 transform=rotate", "SO2*S32"),
            Variant("dim=3 transform=rotate", "SO3*S32"),
            Variant("transform=none", "S32"),
        ),
        "2D outlines (6 shapes) or 3D surfaces (4 shapes) as unordered sets of 32 points",
    ),
    "signals": Entry(
        signals.build,
        signals.SignalOptions,
        "sequence",
        "classification",
        "accuracy (max)",
        (Variant("transform=shift", "shift32"), Variant("transform=none", "trivial")),
        "noisy periodic waveforms of length 32, class = waveform wherever it starts",
    ),
    "twobody": Entry(
        twobody.build,
        twobody.TwoBodyOptions,
        "points",
        "regression",
        "mse (min)",
        (Variant("transform=rotate", "O2"), Variant("transform=none", "O2")),
        "two gravitating bodies: (q1, q2, v1, v2) -> the same 0.5 time units later",
    ),
    "ising": Entry(
        ising.build,
        ising.IsingOptions,
        "lattice",
        "regression",
        "mse (min)",
        (
            Variant("task=energy", "T2*D4*flip"),
            Variant("task=energy field=0.5", "T2*D4"),
            Variant("task=ground_state", "T2*D4*flip", "generation", "energy_per_site (min)"),
        ),
        "8x8 periodic spins: energy per site, or antiferromagnet ground states (generation)",
    ),
}


def option_types() -> dict[str, type]:
    """Every built-in dataset's options by name, with their value type (int, float, str for a
    choice): the typed ``params_dataset_<option>`` columns of the ``trials`` table."""
    found: dict[str, type] = {}
    for entry in BUILTIN.values():
        for name, hint in typing.get_type_hints(entry.options).items():
            found[name] = type(typing.get_args(hint)[0]) if typing.get_origin(hint) else hint
    return found


def build_dataset(spec: str | Mapping[str, Any], seed: int) -> Dataset:
    """Build a dataset from a name or a mapping ``{name: ..., <options>}`` or
    ``{factory: "package.module:function", <options>}``; raises DatasetError naming the field."""
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, Mapping):
        raise DatasetError(f"dataset must be a name or a mapping, got {type(spec).__name__}")
    options = {k: v for k, v in spec.items() if k not in ("name", "factory")}
    if "factory" in spec:
        if "name" in spec:
            raise DatasetError("dataset: give either name or factory, not both")
        return _from_factory(spec["factory"], options, seed)
    name = spec.get("name")
    if name not in BUILTIN:
        raise DatasetError(
            f"dataset.name: unknown dataset {name!r} (built in: {', '.join(BUILTIN)}; "
            "or give factory: package.module:function)"
        )
    entry = BUILTIN[name]
    return entry.build(parse_options(entry.options, options, f"dataset {name}"), seed)


def load_factory(path: object) -> Callable[..., Any]:
    """Import ``package.module:function``; every failure is one DatasetError line."""
    if not isinstance(path, str) or path.count(":") != 1:
        raise DatasetError(
            f"dataset.factory must look like 'package.module:function', got {path!r}"
        )
    return import_function(path, "dataset.factory", DatasetError)


def _from_factory(path: object, options: dict[str, Any], seed: int) -> Dataset:
    factory = load_factory(path)
    try:
        dataset = factory(options, seed)
    except DatasetError:
        raise
    except Exception as error:  # a user's code: report it in one line, naming the factory
        raise DatasetError(
            f"dataset.factory {path!r} failed: {type(error).__name__}: {error}"
        ) from None
    if not isinstance(dataset, Dataset):
        raise DatasetError(
            f"dataset.factory {path!r} returned {type(dataset).__name__}, expected "
            "pipeline.data.Dataset"
        )
    return dataset
