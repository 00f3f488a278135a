"""The registered data kinds, by name: registered once (the built-ins when this package is
imported, others by ``register_kind``), read everywhere through ``kind_record``."""

from __future__ import annotations

from pipeline.kinds._record import KindError, KindRecord

_KINDS: dict[str, KindRecord] = {}
_generation = [0]  # bumped by every change: caches of what acts on which kind key on it


class UnknownKindError(KindError):
    """A data kind nobody registered; the message lists the registered ones."""


def register_kind(record: KindRecord, *, replace: bool = False) -> KindRecord:
    """Register ``record`` under its name (``replace``: over a registered one of that name)."""
    if not isinstance(record, KindRecord):
        raise KindError(f"register_kind takes a KindRecord, got {type(record).__name__}")
    if record.name in _KINDS and not replace and _KINDS[record.name] != record:
        raise KindError(f"data kind {record.name!r} is already registered")
    _KINDS[record.name] = record
    _generation[0] += 1
    return record


def unregister_kind(name: str) -> None:
    """Forget the kind ``name`` (a test's own kind, once the test is done)."""
    kind_record(name)
    del _KINDS[name]
    _generation[0] += 1


def kind_record(name: str) -> KindRecord:
    """The record of the kind ``name``; UnknownKindError (a ValueError) naming the known ones."""
    record = _KINDS.get(name) if isinstance(name, str) else None
    if record is None:
        raise UnknownKindError(
            f"unknown data kind {name!r}; expected one of {', '.join(kind_names())}"
        )
    return record


def is_kind(name: object) -> bool:
    return isinstance(name, str) and name in _KINDS


def kind_names() -> tuple[str, ...]:
    """The registered kinds, in registration order."""
    return tuple(_KINDS)


def moved_by(domain: str) -> frozenset[str]:
    """The kinds that ``domain``'s groups act on (``none``, the trivial group's: every kind)."""
    return frozenset(n for n, r in _KINDS.items() if domain == "none" or domain in r.actions)


def generation() -> int:
    """A number that changes whenever a kind is registered or forgotten."""
    return _generation[0]
