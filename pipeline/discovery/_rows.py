"""The test's columns of a trial's ``discovery`` rows, and the group its present generators span."""

from __future__ import annotations

import re
from typing import Any

from pipeline.groups import Group, span_name

COLUMNS = (
    "p_value",
    "extent",
    "extent_unit",
    "present",
    "extent_error",
    "test_note",
    "invariant_order",
)


def decided(columns: dict[str, Any]) -> bool:
    """The test's verdict stands: it ran and its positive control passed where it mattered."""
    return columns.get("present") is not None and columns.get("test_note") is None


def present_span(candidate: Group, columns: dict[str, dict[str, Any]]) -> str:
    """The catalog group the present generators span (a present discrete rotation rot<n>
    counts as its whole cyclic group: the test found it at its first power), with the
    invariant cyclic subgroups of the absent ones (``invariant_order``: rot6^2 of C6, the
    120-degree turns of SO2's rotation; both C3)."""
    present = [name for name, c in columns.items() if c["present"]]
    orders = {
        name.split(".")[-1]: int(m.group(1))
        for name in present
        if (m := re.fullmatch(r"rot(\d+)", name.split(".")[-1]))
    }
    found = {
        name: int(c["invariant_order"])
        for name, c in columns.items()
        if not c["present"] and (c.get("invariant_order") or 0) > 1
    }
    discrete = {name: order for name, order in found.items() if name in candidate.discrete_names}
    turns = {name: order for name, order in found.items() if name in candidate.lie_names}
    return span_name(candidate, [*present, *discrete], {**orders, **discrete}, turns)
