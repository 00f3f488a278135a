"""Read-only SQL over a store's tables with DuckDB.

The tables (``trials``, ``epochs``, ``discovery``, ``robustness``, latest attempts only) are
views of an in-memory DuckDB that scan the store's files lazily through fsspec (``_views``):
only the columns and rows a query needs are read, and memory stays flat as the store grows. The
user's SQL cannot leave them:

* DuckDB starts with external access off (no files, no URLs), extension loading and installing
  off and its configuration locked, so no statement can switch any of that back on;
* its temporary directory, the one path external access still allows, is a private folder
  created for this call and removed after it (never a shared ``./.tmp``);
* only a single SELECT is run, or an EXPLAIN (ANALYZE) of one: EXPLAIN ANALYZE runs what it
  wraps, so COPY, ATTACH, INSTALL/LOAD, SET, PRAGMA, CREATE... are refused there too, before
  anything runs. Comments cannot hide a second statement: DuckDB's own parser splits them.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import threading
from typing import Any

from pipeline.errors import SymsearchError
from pipeline.store._location import Location, StoreError
from pipeline.store._reader import bad_file_error
from pipeline.store._schema import TABLES
from pipeline.store._views import register_table, schema_file


class QueryError(SymsearchError):
    """SQL that is refused or fails; one line for the user."""


MEMORY_LIMIT = "2GB"  # DuckDB's memory for one query; beyond it, an "Out of Memory" line
TEMP_LIMIT = "4GB"  # what a query may spill to its private temporary directory
BATCH_ROWS = 10_000  # rows fetched at a time when streaming


def run_query(
    location: Location, sql: str, limit: int | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(column names, rows) of one read-only SELECT over the store's tables; at most ``limit``
    rows are fetched (None: all)."""
    found: dict[str, Any] = {"rows": []}

    def keep(columns: list[str], rows: list[tuple[Any, ...]]) -> bool:
        found["columns"] = columns
        found["rows"].extend(rows)
        return limit is None or len(found["rows"]) < limit

    stream_query(location, sql, keep, limit)
    rows = found["rows"] if limit is None else found["rows"][:limit]
    return found.get("columns", []), rows


def stream_query(location: Location, sql: str, emit: Any, limit: int | None = None) -> None:
    """Run one read-only SELECT and hand its rows to ``emit(columns, rows)`` in batches of at most
    ``BATCH_ROWS`` (one call with no rows for an empty result), until ``limit`` rows or until
    ``emit`` returns False: memory stays that of one batch, however many rows the query has.

    A file listed for the query may be moved away before DuckDB reads it (``set-aside``,
    ``compact``): where the query fails before any row and a listed file is gone, the store is
    listed again and the query run once more, so it sees the file or not, never an error."""
    scanned: dict[str, list[str]] = {}
    emitted = {"rows": False}

    def counting(columns: list[str], rows: list[tuple[Any, ...]]) -> Any:
        emitted["rows"] = True
        return emit(columns, rows)

    try:
        return _stream_once(location, sql, counting, limit, scanned)
    except (QueryError, StoreError):
        if emitted["rows"] or not _some_file_gone(location, scanned):
            raise
    return _stream_once(location, sql, emit, limit, {})


def _some_file_gone(location: Location, scanned: dict[str, list[str]]) -> bool:
    try:
        location.fs.invalidate_cache()
        return any(not location.fs.exists(path) for files in scanned.values() for path in files)
    except Exception:  # the store itself cannot be reached: the first error stands
        return False


def _stream_once(
    location: Location, sql: str, emit: Any, limit: int | None, scanned: dict[str, list[str]]
) -> None:
    import duckdb

    unreadable: dict[str, StoreError] = {}
    state = {"busy": False}  # DuckDB ignored a Ctrl-C: leave the connection, do not wait on it
    scratch = tempfile.mkdtemp(prefix="symsearch-query-")  # private: mode 0700, ours alone
    try:
        # extensions off from the start; the rest of the sandbox once the views are made, before
        # any SQL of the user's runs
        connection = duckdb.connect(":memory:", config=EXTENSIONS_OFF)
        try:
            check_read_only(connection, sql)
            unreadable, listed = _register_tables(connection, location, scratch)
            scanned.update(listed)
            lock_down(connection, scratch, allowed_paths(location, scanned, scratch))
            try:
                return _interruptible(connection, sql, emit, limit, state)
            except duckdb.InvalidInputException as error:
                if "schema mismatch" not in str(error) or not location.is_local:
                    raise
                bad = _damaged_file(location, scanned, error)  # a wrong type, or an old schema
                if bad is not None:
                    raise bad from None
                _register_tables(connection, location, scratch, by_name=True)
                return _interruptible(connection, sql, emit, limit, state)
        except duckdb.Error as error:
            missing = re.search(r"Table with name (\w+) does not exist", str(error))
            if missing and missing[1].lower() in unreadable:  # a damaged table the SQL needs
                raise unreadable[missing[1].lower()] from None
            raise _damaged_file(location, scanned, error) or _query_error(error) from None
        finally:
            if not state["busy"]:
                with contextlib.suppress(duckdb.Error):
                    connection.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _register_tables(
    connection: Any, location: Location, scratch: str, by_name: bool = False
) -> tuple[dict, dict]:
    """A view of every table whose files can be listed; one holding a file that is not the
    store's is left out (queries of the others still work) and its error returned, to be raised
    when the SQL turns out to need it. Also returns the paths each view reads."""
    unreadable, scanned = {}, {}
    for table in TABLES:
        try:
            scanned[table] = register_table(connection, location, table, scratch, by_name)
        except StoreError as error:
            unreadable[table] = error
    return unreadable, scanned


def lock_down(connection: Any, scratch: str, allowed: list[str]) -> None:
    """The sandbox (``sandbox_settings``), DuckDB reading no file but ``allowed`` (the tables'
    files on local disk, and the schema files in ``scratch``)."""
    connection.execute("set variable _allowed_paths = ?", [allowed])
    connection.execute("set allowed_paths = getvariable('_allowed_paths')")
    connection.execute("reset variable _allowed_paths")
    for name, value in sandbox_settings(scratch).items():
        quoted = "'" + str(value).replace("'", "''") + "'"
        literal = str(value).lower() if isinstance(value, bool) else quoted
        connection.execute(f"set {name} = {literal}")


def allowed_paths(location: Location, scanned: dict[str, list[str]], scratch: str) -> list[str]:
    """What DuckDB may read: on local disk the listed table files and the schema files."""
    if not location.is_local:
        return []  # object stores are read by pyarrow, through the store's filesystem
    return [*(schema_file(t, scratch) for t in TABLES), *(p for f in scanned.values() for p in f)]


def _damaged_file(
    location: Location, scanned: dict[str, list[str]], error: Exception
) -> StoreError | None:
    """A scan that failed on a file (truncated, not Parquet, a column of the wrong type): the
    error naming that file, found by reading the footers of the tables' files one by one."""
    import duckdb

    kinds = duckdb.InvalidInputException | duckdb.IOException | duckdb.ConversionException
    if not isinstance(error, kinds) or "file" not in str(error).lower():
        return None
    for table, files in scanned.items():
        found = bad_file_error(location, table, files, error)
        if "set-aside" in str(found):
            return found
    return None


def _interruptible(
    connection: Any, sql: str, emit: Any, limit: int | None, state: dict[str, bool]
) -> None:
    """Run the SQL in a helper thread: DuckDB holds the main thread in C++ while it works, where
    Ctrl-C never reaches Python; here it does, interrupts DuckDB and is raised again."""
    outcome: dict[str, Any] = {}
    finished = threading.Event()  # not Thread.join: a join cut short by Ctrl-C can misreport

    def work() -> None:
        try:
            result = connection.execute(sql)
            _fetch_batches(result, emit, limit)
        except BaseException as error:  # handed to the main thread as it is
            outcome["error"] = error
        finally:
            finished.set()

    threading.Thread(target=work, name="symsearch-query", daemon=True).start()
    try:
        while not finished.wait(0.1):
            pass
    except KeyboardInterrupt:
        connection.interrupt()
        state["busy"] = not finished.wait(5)  # Ctrl-C ends the command either way
        raise
    if "error" in outcome:
        raise outcome["error"]


def _fetch_batches(result: Any, emit: Any, limit: int | None) -> None:
    columns = [d[0] for d in result.description or []]
    fetched, first = 0, True
    while limit is None or fetched < limit:
        wanted = BATCH_ROWS if limit is None else min(BATCH_ROWS, limit - fetched)
        rows = result.fetchmany(wanted)
        if not rows and not first:
            return
        fetched += len(rows)
        first = False
        if emit(columns, rows) is False or len(rows) < wanted:
            return


EXTENSIONS_OFF = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
}


def sandbox_settings(scratch: str) -> dict[str, Any]:
    """DuckDB settings, in order, of a connection that reads only what it is handed."""
    return {
        "temp_directory": scratch,  # private and short-lived (set while it may be)
        "memory_limit": MEMORY_LIMIT,  # a huge result or join: one error line, not a MemoryError
        "max_temp_directory_size": TEMP_LIMIT,  # nor a full disk
        "enable_external_access": False,  # no file, URL, ATTACH or COPY but the allowed paths
        "lock_configuration": True,  # SET/PRAGMA cannot undo any of the above
    }


def _query_error(error: Exception) -> QueryError:
    import duckdb

    message = (str(error).strip().splitlines() or [type(error).__name__])[0]
    if isinstance(error, duckdb.PermissionException):
        return QueryError(f"refused: the query reaches outside the store ({message})")
    return QueryError(f"query failed: {message}{_table_hint(message)}")


def _table_hint(message: str) -> str:
    """An unknown table: the closest of the store's tables, and all of them."""
    from pipeline._util.text import did_you_mean

    unknown = re.search(r"Table with name (\S+?)!? does not exist", message)
    if unknown is None:
        return ""
    return f"{did_you_mean(unknown.group(1), TABLES)} (tables: {', '.join(TABLES)})"


def check_read_only(connection: Any, sql: str) -> None:
    """Refuse anything but one SELECT, or one EXPLAIN [ANALYZE] of a SELECT."""
    statement = _single_statement(connection, sql)
    kind = statement.type.name
    if kind == "EXPLAIN":
        inner = _explained(connection, statement.query)
        if inner is None:
            raise QueryError("refused: EXPLAIN is allowed only of a single SELECT query")
        kind = inner.type.name
    if kind != "SELECT":
        raise QueryError(f"refused: only read-only SELECT queries are allowed, not {kind}")


def _single_statement(connection: Any, sql: str) -> Any:
    import duckdb

    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error as error:
        raise QueryError(f"SQL error: {str(error).strip().splitlines()[0]}") from None
    if len(statements) != 1:
        raise QueryError(f"expected one SELECT statement, got {len(statements)}")
    return statements[0]


def _explained(connection: Any, sql: str) -> Any | None:
    """The statement an EXPLAIN wraps, when it is exactly one SELECT; else None.

    DuckDB's tokenizer locates the words (comments are tokens of their own, skipped here):
    EXPLAIN, an optional ANALYZE, optional "(option ...)" and then the wrapped statement."""
    import duckdb

    tokens = [(p, kind) for p, kind in duckdb.tokenize(sql) if kind != duckdb.token_type.comment]
    starts = [p for p, _ in tokens]
    ends = [*starts[1:], len(sql)]
    words = [
        (sql[a:b].split() or [""])[0].upper() if kind != duckdb.token_type.string_const else "'"
        for (a, kind), b in zip(tokens, ends, strict=True)
    ]
    index = 1  # words[0] is EXPLAIN
    while index < len(words) and words[index] in ("ANALYZE", "ANALYSE"):
        index += 1
    candidates = [index]
    if index < len(words) and words[index] == "(":  # options, or a parenthesized query
        candidates.append(_after_parenthesis(words, index))
    for position in candidates:
        if position >= len(starts):
            continue
        try:
            inner = connection.extract_statements(sql[starts[position] :])
        except duckdb.Error:
            continue
        if len(inner) == 1 and inner[0].type.name == "SELECT":
            return inner[0]
    return None


def _after_parenthesis(words: list[str], opening: int) -> int:
    """Index of the first token after the parenthesis that opens at ``opening``."""
    depth = 0
    for index in range(opening, len(words)):
        depth += (words[index] == "(") - (words[index] == ")")
        if depth == 0:
            return index + 1
    return len(words)
