"""The group catalog: parsing the names used in search spaces and in the store."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from functools import lru_cache

from pipeline.errors import SymsearchError
from pipeline.groups import _user
from pipeline.groups._families import (
    affine2,
    axis_rotations,
    cyclic,
    dihedral,
    flip,
    learned,
    o2,
    o3,
    scale,
    shift,
    so2,
    so3,
    stretch_x,
    stretch_y,
    symmetric,
    t2,
    translation_x,
    translation_y,
    trivial,
)
from pipeline.groups._group import Group
from pipeline.groups._product import IncompatibleFactorsError, product
from pipeline.groups._subgroups import SUBGROUP, parse_subgroup
from pipeline.kinds import generation

MAX_PARAMETER = 4096  # largest n in C<n>, D<n>, S<n>, shift<N>


class UnknownGroupError(SymsearchError):
    """A group name the catalog cannot parse; the message lists close matches."""


# -- parsing -----------------------------------------------------------------------------------

Builder = Callable[..., Group]
# (pattern, builder, family label, example name for the listing)
FAMILIES: list[tuple[str, Builder, str, str]] = [
    (r"trivial", trivial, "trivial", "trivial"),
    (r"C(\d+)", cyclic, "C<n>", "C4"),
    (r"D(\d+)", dihedral, "D<n>", "D4"),
    (r"SO2", so2, "SO2", "SO2"),
    (r"O2", o2, "O2", "O2"),
    (r"T2", t2, "T2", "T2"),
    (r"Tx", translation_x, "Tx", "Tx"),
    (r"Ty", translation_y, "Ty", "Ty"),
    (r"scale", scale, "scale", "scale"),
    (r"stretchx", stretch_x, "stretchx", "stretchx"),
    (r"stretchy", stretch_y, "stretchy", "stretchy"),
    (r"affine2", affine2, "affine2", "affine2"),
    (r"SO3", so3, "SO3", "SO3"),
    (r"O3", o3, "O3", "O3"),
    (r"SO2([xyz])", axis_rotations, "SO2x/SO2y/SO2z", "SO2z"),
    (r"S(\d+)", symmetric, "S<n>", "S5"),
    (r"shift(\d+)", shift, "shift<N>", "shift32"),
    (r"shift(\d+)by(\d+)", shift, "shift<N>by<s>", "shift32by8"),
    (r"flip", flip, "flip", "flip"),
    (r"learned(\d+)", learned, "learned<k>", "learned2"),
]
EXAMPLES = [example for *_, example in FAMILIES] + [
    "SO2*flip",
    "T2*D4*flip",
    "SO3*S5",
    "SO3[rz]",
    "affine2[rot,stretch]",
]


def get_group(name: str, *, learned_domain: str = "plane") -> Group:
    """Parse a catalog name (``C4``, ``SO2*flip``...); raises UnknownGroupError with suggestions.

    ``learned_domain`` places ``learned<k>`` factors in the plane (images, 2D points) or in
    space (3D points). Results are cached and shared: do not modify their tensors.
    """
    if not isinstance(name, str) or not name.strip():
        raise UnknownGroupError(f"group name must be a non-empty string, got {name!r}")
    return _parse(name.replace(" ", ""), learned_domain, generation())


@lru_cache(maxsize=256)
def _parse(name: str, learned_domain: str, kinds: int) -> Group:
    """``kinds``: the kinds registry's generation, a cache key only (a group parsed after a
    kind is registered acts on it, see ``pipeline.kinds``)."""
    parts = _split_product(name)
    if len(parts) > 1:
        try:
            return product(*(_parse(p, learned_domain, kinds) for p in parts))
        except IncompatibleFactorsError as error:
            raise UnknownGroupError(str(error)) from None
    if match := SUBGROUP.fullmatch(name):
        parent = _parse(match["wrapped"] or match["plain"], learned_domain, kinds)
        try:
            return parse_subgroup(parent, match["tokens"], name)
        except ValueError as error:
            raise UnknownGroupError(str(error)) from None
    if name.startswith("(") and name.endswith(")"):
        return _parse(name[1:-1], learned_domain, kinds)
    if _user.is_factory(name):
        try:
            return _user.load_group(name)
        except _user.GroupFactoryError as error:
            raise UnknownGroupError(str(error)) from None
    for pattern, builder, family, _ in FAMILIES:
        match = re.fullmatch(pattern, name)
        if match:
            args = [_parameter(name, family, a) for a in match.groups()]
            if builder is learned:
                return builder(*args, domain=learned_domain)
            try:
                return builder(*args)
            except ValueError as error:
                raise UnknownGroupError(str(error)) from None
    raise UnknownGroupError(_unknown_message(name))


def _split_product(name: str) -> list[str]:
    """Split at the '*' outside brackets and parentheses: (T2*D4)[tx]*flip has two parts."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(name):
        depth += (char in "([") - (char in ")]")
        if char == "*" and depth == 0:
            parts.append(name[start:i])
            start = i + 1
    return [*parts, name[start:]]


def _parameter(name: str, family: str, text: str) -> int | str:
    if not text.isdigit():
        return text  # an axis letter
    value = int(text)
    limit = 16 if family == "learned<k>" else MAX_PARAMETER
    if not 1 <= value <= limit:
        raise UnknownGroupError(f"group {name!r}: the number in {family} must be in 1..{limit}")
    return value


def _unknown_message(name: str) -> str:
    candidates = EXAMPLES + [family for *_, family, _ in FAMILIES]
    folded = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(
        name.lower().replace("(", "").replace(")", ""), list(folded), n=3, cutoff=0.5
    )
    hint = f"; did you mean {', '.join(folded[c] for c in close)}?" if close else ""
    families = ", ".join(family for *_, family, _ in FAMILIES)
    return f"unknown group {name!r}{hint} (known: {families}, and products A*B)"


def catalog() -> list[Group]:
    """One example of every family plus some products, in listing order."""
    return [get_group(name) for name in EXAMPLES]
