"""Read-only SQL over a store's tables with DuckDB.

The tables (``trials``, ``epochs``, ``discovery``, ``robustness``, latest attempts only) are read
through fsspec and handed to an in-memory DuckDB as Arrow tables. Before the user's SQL runs,
DuckDB's external access is switched off (no files, no URLs, no extensions) and its configuration
locked, and only a single SELECT (or EXPLAIN of one) is accepted: COPY, ATTACH, INSTALL/LOAD,
SET, PRAGMA, CREATE... are refused without touching anything.
"""

from __future__ import annotations

from typing import Any

from pipeline.errors import SymsearchError
from pipeline.store._location import Location
from pipeline.store._reader import read_table
from pipeline.store._schema import TABLES


class QueryError(SymsearchError):
    """SQL that is refused or fails; one line for the user."""


def run_query(location: Location, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(column names, rows) of one read-only SELECT over the store's tables."""
    import duckdb

    connection = duckdb.connect(":memory:")
    try:
        _check_read_only(connection, sql)
        for table in TABLES:
            connection.register(table, read_table(location, table))
        connection.execute("SET enable_external_access = false")
        connection.execute("SET lock_configuration = true")
        result = connection.execute(sql)
        columns = [d[0] for d in result.description or []]
        return columns, result.fetchall()
    except duckdb.Error as error:
        message = str(error).strip().splitlines()[0]
        if isinstance(error, duckdb.PermissionException):
            raise QueryError(f"refused: the query reaches outside the store ({message})") from None
        raise QueryError(f"query failed: {message}") from None
    finally:
        connection.close()


def _check_read_only(connection: Any, sql: str) -> None:
    import duckdb

    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error as error:
        raise QueryError(f"SQL error: {str(error).strip().splitlines()[0]}") from None
    if len(statements) != 1:
        raise QueryError(f"expected one SELECT statement, got {len(statements)}")
    kind = statements[0].type
    if kind not in (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN):
        raise QueryError(f"refused: only read-only SELECT queries are allowed, not {kind.name}")
