"""What a data kind is, as one record: how groups act on it and what every stage reads from it.

Lazy references (why strings): the kinds sit at the bottom of the layers (L0, beside groups
and actions), but a kind's facts reach up to the backbones (L1 ``models``), the data test's
readers (L1 ``discovery``) and the actions (L0, which import ``groups``, which read the kinds).
A record therefore names those callables as ``"module:attribute"`` strings, imported on first
use and cached, the way entry points name plugins: the record stays one place that says
everything about its kind, this package imports nothing above it (no cycle, no upward import),
and a new kind is one module whose record names its callables. A record made above the layers
(a user's module, a test) may hold the callables themselves instead of their names.
Registration from each higher layer (models registering a backbone per kind, discovery a
trunk...) was the alternative; it scatters one kind over as many modules as it has facts.

Every other fact is plain data: where one algorithm has a genuine special case for a kind
(lattice translations go by whole sites, image moves interpolate), the record carries it as an
attribute the algorithm reads, never a comparison with the kind's name.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pipeline.errors import SymsearchError

Ref = str | Callable[..., Any]  # "package.module:attribute", or the object itself
REFERENCE = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")
NAME = re.compile(r"[a-z][a-z0-9_]*")
BASIS_STARTS = ("data", "random")


class KindError(SymsearchError):
    """A data kind that is not registered, or a record that cannot be used; names the kind."""


def _identity(g: Any, x: Any) -> Any:
    return x


@dataclass(frozen=True)
class KindRecord:
    """One data kind: its layout, how each group domain acts on it, and what the stages read.

    Attributes:
        name: the kind's name, as datasets declare it (``Dataset.kind``).
        layout: the batch layout, for messages and docs: ``(B, C, H, W)``.
        actions: group domain (``plane``, ``space``, ``perm``, ``circle``, ``sign``) -> the
            action ``(g, x) -> x`` of a batch of that domain's blocks (B, d, d) on a batch of
            this kind; the groups whose domains all appear here can act on the kind (the
            ``none`` domain, the trivial group, acts on every kind as the identity).
        model_options: the options dataclass of the default backbone (``model:`` in a space).
        backbone: ``(options, in_shape, out_features, out_shape) -> nn.Module``: the default
            backbone (``out_features`` outputs per example, or outputs of ``out_shape``).
        reader_trunk: ``in_shape -> nn.Module`` mapping (B, *in_shape) to (B, HIDDEN) features,
            position-aware: the data test's reader (``pipeline.discovery``).
        grid_dims: trailing axes of an example that form a grid (SymPE's reference field);
            0 where examples are no grid (point sets).
        channels_optional: examples may drop the channel axis, (B, *grid) for (B, 1, *grid).
        whole_sites: values live on the sites of a periodic grid, so plane groups act only by
            whole-site translations and integer matrices: such a kind is moved by the plane
            groups whose algebra only translates and whose discrete matrices are integer (never
            by learned ones); translations are discrete, stepped and reported in sites (shift
            grid, data test, augmentation, SymPE), and the data test proposes no directions.
        interpolated: moves resample a pixel grid by interpolation: the data test turns by
            band-limited rotations, warps other moves in two halves, jitters by sub-pixels
            and band-limits its marker; SymPE scores rotations with a smooth field.
        coordinates: examples are sets of coordinates (B, n, k) that plane and space matrices
            multiply: ``learned<k>`` lives in space for k = 3 (else in the plane), and the
            data test's marker offsets one point instead of adding a dense pattern.
        translation_in_sides: the data test reports translations as fractions of the grid's
            side (which spans 2 coordinate units) instead of coordinate units.
        sympe: SymPE (``symmetry_breaking: sympe``) can canonicalize this kind's examples.
        basis_start: where a learned basis starts under ``basis_init: auto``: ``data`` (the
            directions the training data spread along) or ``random`` (seeded Gaussian).
        description: one line for the catalog.
    """

    name: str
    layout: str
    actions: Mapping[str, Ref]
    model_options: Ref
    backbone: Ref
    reader_trunk: Ref
    grid_dims: int = 0
    channels_optional: bool = False
    whole_sites: bool = False
    interpolated: bool = False
    coordinates: bool = False
    translation_in_sides: bool = False
    sympe: bool = False
    basis_start: str = "data"
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not NAME.fullmatch(self.name):
            raise KindError(f"a data kind's name is lowercase letters, digits and _: {self.name!r}")
        object.__setattr__(self, "actions", dict(self.actions))  # a copy: the caller's stays theirs
        where = f"data kind {self.name!r}"
        for what, ref in [
            *((f"action of {d}", r) for d, r in self.actions.items()),
            ("model_options", self.model_options),
            ("backbone", self.backbone),
            ("reader_trunk", self.reader_trunk),
        ]:
            if not (callable(ref) or (isinstance(ref, str) and REFERENCE.fullmatch(ref))):
                raise KindError(f"{where}: {what} must be a callable or 'module:name': {ref!r}")
        if self.grid_dims < 0:
            raise KindError(f"{where}: grid_dims must be >= 0, got {self.grid_dims}")
        if self.basis_start not in BASIS_STARTS:
            raise KindError(f"{where}: basis_start must be data or random: {self.basis_start!r}")
        if self.sympe and not self.grid_dims:
            raise KindError(f"{where}: SymPE needs a grid (grid_dims > 0)")

    def __hash__(self) -> int:
        return hash(self.name)

    def action(self, domain: str) -> Callable[[Any, Any], Any]:
        """The action of ``domain``'s elements on this kind (``none``: the identity)."""
        if domain == "none":
            return _identity
        if domain not in self.actions:
            raise KindError(
                f"no {domain} group acts on {self.name} data "
                f"(its domains: {', '.join(sorted(self.actions)) or 'none'})"
            )
        return resolve(self.actions[domain], f"{self.name} data's {domain} action")

    def options_type(self) -> type:
        return resolve(self.model_options, f"{self.name} data's model options")

    def backbone_builder(self) -> Callable[..., Any]:
        return resolve(self.backbone, f"{self.name} data's backbone")

    def trunk_builder(self) -> Callable[..., Any]:
        return resolve(self.reader_trunk, f"{self.name} data's reader trunk")

    def learned_domain(self, example_shape: tuple[int, ...]) -> str:
        """Where ``learned<k>`` generators live for examples of ``example_shape``."""
        return "space" if self.coordinates and example_shape[-1:] == (3,) else "plane"


def resolve(ref: Ref, what: str) -> Any:
    """The object ``ref`` names (imported once, then cached), or ``ref`` itself."""
    if not isinstance(ref, str):
        return ref
    try:
        return _load(ref)
    except (ImportError, AttributeError) as error:
        raise KindError(f"{what}: cannot load {ref!r}: {error}") from None


@cache
def _load(reference: str) -> Any:
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)
