"""Data kinds as records: one ``KindRecord`` per kind, registered once, read by every stage.

>>> from pipeline.kinds import kind_record
>>> record = kind_record("lattice")
>>> record.layout, sorted(record.actions), record.whole_sites
('(B, L, L) or (B, C, L, L)', ['plane', 'sign'], True)

A stage that depends on the kind asks its record: how each group domain acts (``act``), the
default backbone (``build_model``), the data test's reader trunk, the units of the shift grid,
SymPE's support, where ``learned<k>`` lives. A new kind is one module with one record (see
``image.py``), registered here for a built-in one or by ``register_kind`` from the user's own
module; nothing else in ``pipeline/`` changes. Register a user kind where its dataset factory
lives: Ray's workers import that module to build the data, and so register the kind too.
Datasets name their kind by its string (``Dataset.from_tensors(..., kind="image")``). Built-ins
are registered in the order error messages list them.
"""

from pipeline.kinds import image, lattice, points, sequence
from pipeline.kinds._record import KindError, KindRecord, Ref, resolve
from pipeline.kinds._registry import (
    UnknownKindError,
    generation,
    is_kind,
    kind_names,
    kind_record,
    moved_by,
    register_kind,
    unregister_kind,
)

BUILTIN = (lattice.RECORD, image.RECORD, sequence.RECORD, points.RECORD)
for _record in BUILTIN:
    register_kind(_record)

__all__ = [
    "BUILTIN",
    "KindError",
    "KindRecord",
    "Ref",
    "UnknownKindError",
    "generation",
    "is_kind",
    "kind_names",
    "kind_record",
    "moved_by",
    "register_kind",
    "resolve",
    "unregister_kind",
]
