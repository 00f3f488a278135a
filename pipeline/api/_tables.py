"""Store tables as dataframes: pandas by default, polars or Arrow on request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pyarrow as pa

Backend = Literal["pandas", "polars", "arrow"]
BACKENDS = ("pandas", "polars", "arrow")


def read_table(
    store: Any = None,
    table: str = "trials",
    sweep: str | None = None,
    *,
    backend: Backend = "pandas",
) -> Any:
    """One table of a store (a URL, a path or an opened ``Location``; default: the default
    store) with only the latest attempt of each record, as symsearch's own readers see it: each
    trial once, each (trial, epoch) once. ``sweep`` keeps one sweep's rows."""
    from pipeline.store import SCHEMAS, check_readable, check_sweep_name, read_table

    if table not in SCHEMAS:
        from pipeline._util.text import did_you_mean
        from pipeline.store import StoreError

        raise StoreError(
            f"unknown table {table!r}{did_you_mean(table, list(SCHEMAS))} "
            f"(tables: {', '.join(SCHEMAS)})"
        )
    if sweep is not None:
        check_sweep_name(sweep, "sweep")
    location = open_location(store)
    check_readable(location)
    return convert(read_table(location, table, sweep), backend)


def open_location(store: Any) -> Any:
    """A ``Location`` from a URL, a path, None (the default store) or a ``Location``."""
    from pipeline.store import Location, default_store, open_store

    if isinstance(store, Location):
        return store
    return open_store(str(store) if store is not None else default_store())


def convert(table: pa.Table, backend: Backend) -> Any:
    """An Arrow table in the requested library's form."""
    if backend == "arrow":
        return table
    if backend == "pandas":
        return table.to_pandas()
    if backend == "polars":
        import polars

        return polars.from_arrow(table)
    raise ValueError(f"backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
