"""``symsearch compact``: a sweep's many small table files rewritten as a few large ones.

Each table's latest-attempt rows (the readers' rule) are written, sorted by trial, into at most
``MAX_PARTS`` files ``compacted-g<generation>-p<part>-<token>.parquet`` (a trial's rows never
split between two; a table without rows gets one empty file, so that every table's folder can be
read directly), each published whole like every store file, all in the current schema. Only
when every table's new files are in place are the files they replace moved to ``_superseded/``
(kept, not deleted).

Readers take a record from its highest generation (``_reader.prefer_latest_generation``), the
writer's files being generation 0, so a store read at any moment of a compaction, or after one
killed at any moment, reads the same rows: before the new files are all in place, every record
is still in the old files, and the new files hold the same rows; after, every file moved has its
rows, or rows that hide them, in the new generation. A killed compaction is finished by running
it again (its leftovers are one more generation to fold in).
"""

from __future__ import annotations

import io
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline._util.text import name_hint
from pipeline.store._location import (
    Location,
    StoreError,
    check_sweep_name,
    one_line,
    store_errors,
)
from pipeline.store._reader import read_files, sweeps_in, table_paths
from pipeline.store._schema import PARTITION, RECORD_KEYS, SCHEMAS, TABLES
from pipeline.store._writer import _publish
from pipeline.store.layout import compacted_files, file_generation, read_keys, supersede

MAX_PARTS = 4  # files per table and sweep after a compaction
ROWS_PER_PART = 500_000
ROW_GROUP = 65_536  # row groups carry trial_id ranges: a filter on a trial skips the others

Step = Callable[[str], None]  # told of every file written or moved (tests stop there)


@dataclass
class Compaction:
    generation: int
    files_before: dict[str, int] = field(default_factory=dict)
    files_after: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


def compact_sweep(location: Location, sweep: str, on_step: Step | None = None) -> Compaction:
    """Rewrite a sweep's tables as a few files each (see the module docstring)."""
    check_sweep_name(sweep)
    step = on_step or (lambda _: None)
    listed = {table: table_paths(location, table, sweep) for table in TABLES}
    if not any(listed.values()):
        names = sweeps_in(location)
        raise StoreError(
            f"sweep {sweep!r} has no table files in {location.url}{name_hint(sweep, names)}"
        )
    generations = [file_generation(p) or 0 for files in listed.values() for p in files]
    report = Compaction(generation=max(generations) + 1)
    replaced = {}
    for table, files in listed.items():
        report.files_before[table] = len(files)
        if files and _compacted_already(files):
            report.files_after[table] = len(files)
            continue
        data = latest_rows(location, table, files) if files else SCHEMAS[table].empty_table()
        report.rows[table] = data.num_rows
        # an empty table gets one empty file: every table's folder then reads directly
        parts = _parts(data) or [data.select(SCHEMAS[table].names)]
        written = [
            write_part(location, table, sweep, part, report.generation, number)
            for number, part in enumerate(parts)
        ]
        for path in written:
            step(f"wrote {path}")
        report.files_after[table] = len(written)
        replaced[table] = files
    for table, files in replaced.items():  # every new file is in place: the commit point
        for path in files:
            supersede(location, table, sweep, path)
            step(f"moved {path}")
    return report


def latest_rows(location: Location, table: str, files: list[str]) -> pa.Table:
    """The latest-attempt rows of exactly these files, read by DuckDB (as ``query`` reads them:
    memory flat in the number of files), sorted by trial."""
    import shutil
    import tempfile

    import duckdb

    from pipeline.store._views import register_table

    keys = ", ".join(["trial_id", "attempt", *RECORD_KEYS[table]])
    scratch = tempfile.mkdtemp(prefix="symsearch-compact-")
    try:
        connection = duckdb.connect(":memory:")
        for by_name in (False, True):  # by name: files of an older schema among them
            register_table(connection, location, table, scratch, by_name, files)
            try:
                return connection.sql(f"select * from {table} order by {keys}").to_arrow_table()
            except duckdb.InvalidInputException as error:
                if by_name or "schema mismatch" not in str(error):
                    raise StoreError(
                        f"{location.url}: table {table} cannot be read ({one_line(error)})"
                    ) from None
        raise AssertionError("unreachable")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _compacted_already(files: list[str]) -> bool:
    """Nothing but the files of one compaction: rewriting them would change nothing."""
    generations = {file_generation(path) for path in files}
    return not files or (len(generations) == 1 and 0 not in generations)


def _parts(data: pa.Table) -> list[pa.Table]:
    """Contiguous slices of a table sorted by trial, cut only where the trial changes."""
    if data.num_rows == 0:
        return []
    count = min(MAX_PARTS, -(-data.num_rows // ROWS_PER_PART))
    trials = data["trial_id"]
    changes = pc.not_equal(trials.slice(1), trials.slice(0, len(trials) - 1))
    starts = [0, *(pc.indices_nonzero(changes).to_numpy() + 1).tolist()]
    cuts, wanted = [0], 1
    for start in starts:
        if wanted < count and start >= wanted * data.num_rows / count:
            cuts.append(start)
            wanted += 1
    cuts.append(data.num_rows)
    return [data.slice(a, b - a) for a, b in itertools.pairwise(cuts) if b > a]


def write_part(
    location: Location, table: str, sweep: str, data: pa.Table, generation: int, number: int
) -> str:
    """One compacted file, published whole (a reader never sees a partial file)."""
    schema = SCHEMAS[table]
    sink = io.BytesIO()
    pq.write_table(data.select(schema.names).cast(schema), sink, row_group_size=ROW_GROUP)
    folder = location.path(table, f"{PARTITION}={sweep}")
    path = f"{folder}/compacted-g{generation}-p{number:03d}-{uuid.uuid4().hex[:8]}.parquet"
    with store_errors(location, "cannot be written"):
        _publish(location, folder, path, sink.getvalue())
    return path


def drop_trials(location: Location, sweep: str, trial_ids: set[str]) -> int:
    """Set trials aside from the compacted files: each file that holds any is written again
    without them (one generation up, so its rows win) and then moved under _superseded/ with
    their rows. Returns how many files moved."""
    affected = []
    for table, path, generation in compacted_files(location, sweep):
        held = read_keys(location, path, ["trial_id"])["trial_id"]
        if pc.any(pc.is_in(held, pa.array(sorted(trial_ids), pa.string()))).as_py():
            affected.append((table, path, generation))
    if not affected:
        return 0
    generation = 1 + max(g for _, _, g in compacted_files(location, sweep))
    for number, (table, path, _) in enumerate(affected):
        data = read_files(location, table, [path])
        kept = data.filter(pc.invert(pc.is_in(data["trial_id"], pa.array(sorted(trial_ids)))))
        if kept.num_rows:
            write_part(location, table, sweep, kept, generation, number)
    for table, path, _ in affected:
        supersede(location, table, sweep, path)
    return len(affected)
