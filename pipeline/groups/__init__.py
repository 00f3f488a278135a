"""Symmetry groups as data: Lie algebra bases and discrete generators, with a catalog of names.

>>> from pipeline.groups import get_group
>>> g = get_group("SO2*flip")
>>> g.kind, g.dim, g.lie_dim, g.num_discrete
('product', 4, 1, 1)
"""

from pipeline.groups._catalog import (
    EXAMPLES,
    FAMILIES,
    UnknownGroupError,
    catalog,
    get_group,
)
from pipeline.groups._families import learned
from pipeline.groups._group import MAX_ELEMENTS, Group
from pipeline.groups._product import product
from pipeline.groups._records import OTHER_LIE, GeneratorRecord
from pipeline.groups._relations import (
    discovery_matches,
    element_in_group,
    generator_in_group,
    matching_block,
    span_name,
)
from pipeline.groups._user import check_group

__all__ = [
    "EXAMPLES",
    "FAMILIES",
    "MAX_ELEMENTS",
    "OTHER_LIE",
    "GeneratorRecord",
    "Group",
    "UnknownGroupError",
    "catalog",
    "check_group",
    "discovery_matches",
    "element_in_group",
    "generator_in_group",
    "get_group",
    "learned",
    "matching_block",
    "product",
    "span_name",
]
