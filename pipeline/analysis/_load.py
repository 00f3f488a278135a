"""The store's tables as Dask DataFrames, latest attempt only, without a shuffle.

File names say whose rows they hold (``<trial_id>-a<attempt>-<seq>-<token>.parquet``), so the
latest-attempt rule is applied before reading: for tables with one record per trial (trials,
discovery, robustness) only the files of each trial's latest attempt are read; for epochs (one
record per trial and epoch) all of a trial's files go to the same partition, and trials with
more than one attempt keep the store reader's chain of attempts (pipeline.store._reader).
A compacted sweep's files (``compacted-g<n>-...``, many trials each, sorted by trial) are read
one partition per file (files whose trial ranges overlap, in one), together with the trial's own
files that fall in its range (a trial resumed after the compaction); such a partition applies the
store reader's rules in full (pipeline.store._reader: the highest generation of each record, then
the latest attempt). Every partition is independent: reading is embarrassingly parallel on
threads or on a Dask cluster.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from pipeline.store import (
    SCHEMAS,
    Location,
    bad_file_error,
    latest_attempts,
    read_files,
    table_files,
    table_paths,
)
from pipeline.store.layout import compacted_files, trial_range

FILES_PER_PARTITION = 256


@dataclass(frozen=True)
class TrialFiles:
    trial_id: str
    files: tuple[tuple[int, str], ...]  # (attempt, path)

    @property
    def latest(self) -> int:
        return max(attempt for attempt, _ in self.files)


def list_trial_files(location: Location, table: str, sweep: str) -> list[TrialFiles]:
    """The table's files of one sweep, grouped by trial (names in another format are skipped)."""
    grouped: dict[str, list[tuple[int, str]]] = defaultdict(list)
    table_paths(location, table, sweep)  # a file that is not the writer's: one line naming it
    files = sorted(table_files(location, sweep, (table,)), key=itemgetter(1))  # by path
    for _, path, trial, attempt in files:
        grouped[trial].append((attempt, path))
    return [TrialFiles(trial, tuple(files)) for trial, files in sorted(grouped.items())]


@dataclass(frozen=True)
class CompactedGroup:
    files: tuple[str, ...]  # compacted files whose trial ranges overlap
    low: str
    high: str


def compacted_groups(location: Location, table: str, sweep: str) -> list[CompactedGroup]:
    """The table's compacted files, those whose trial ranges overlap merged into one group."""
    ranged = sorted(
        (*trial_range(location, path), path)
        for _, path, _ in compacted_files(location, sweep, (table,))
    )
    groups: list[CompactedGroup] = []
    for low, high, path in ranged:
        if groups and low <= groups[-1].high:
            last = groups.pop()
            groups.append(CompactedGroup((*last.files, path), last.low, max(last.high, high)))
        else:
            groups.append(CompactedGroup((path,), low, high))
    return groups


def read_partition(
    part: tuple[Location, str, str, tuple[TrialFiles, ...], tuple | None]
    | tuple[Location, str, str, tuple[TrialFiles, ...], tuple | None, CompactedGroup],
) -> Any:
    """One partition: the latest-attempt rows of a few trials, as pandas."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.dataset as ds

    location, table, sweep, trials, columns = part[:5]
    schema = _selected(SCHEMAS[table], columns)
    if len(part) == 6:
        return _read_compacted(location, table, sweep, trials, schema, part[5])
    per_record = table == "epochs"
    paths = [path for t in trials for attempt, path in t.files if per_record or attempt == t.latest]
    try:
        data = ds.dataset(paths, schema=schema, format="parquet", filesystem=location.fs).to_table()
    except (pa.ArrowException, OSError) as error:  # a damaged file: one line naming it
        raise bad_file_error(location, table, paths, error) from None
    frame = data.to_pandas(types_mapper=_types(schema))
    if per_record and any(len({a for a, _ in t.files}) > 1 for t in trials):
        frame = frame[_attempt_chain(frame)]
    frame.insert(0, "sweep", pd.Series([sweep] * len(frame), dtype="string", index=frame.index))
    return frame.reset_index(drop=True)


def _read_compacted(
    location: Location,
    table: str,
    sweep: str,
    trials: tuple[TrialFiles, ...],
    schema: Any,
    group: CompactedGroup,
) -> Any:
    """Compacted files and the trials' own files in their range, under the reader's full rules."""
    import pandas as pd

    paths = [*group.files, *(path for t in trials for _, path in t.files)]
    data = latest_attempts(read_files(location, table, paths, schema.names), table)
    frame = data.select(schema.names).to_pandas(types_mapper=_types(schema))
    frame.insert(0, "sweep", pd.Series([sweep] * len(frame), dtype="string", index=frame.index))
    return frame.reset_index(drop=True)


def _attempt_chain(frame: Any) -> Any:
    """Which epoch rows the latest view keeps: all of each trial's latest attempt, and of an
    earlier attempt only the epochs before the next later attempt's first (the store reader's
    rule: a resumed attempt continues its predecessor, a re-run from scratch replaces it)."""
    import numpy as np
    import pandas as pd

    firsts = (
        frame.groupby(["trial_id", "attempt"])["epoch"]
        .min()
        .reset_index()
        .sort_values(["trial_id", "attempt"], ascending=[True, False])
    )
    later = firsts.groupby("trial_id")["epoch"].cummin()
    firsts["floor"] = later.groupby(firsts["trial_id"]).shift(1).astype("Float64")
    floors = firsts.set_index(["trial_id", "attempt"])["floor"]
    key = pd.MultiIndex.from_arrays([frame["trial_id"], frame["attempt"]])
    floor = floors.reindex(key).to_numpy(dtype=float, na_value=np.nan)
    return np.isnan(floor) | (frame["epoch"].to_numpy(dtype=float, na_value=np.nan) < floor)


def _types(schema: Any) -> Any:
    """Nullable pandas dtypes, so a column of missing values keeps its type in every partition."""
    import pandas as pd
    import pyarrow as pa

    mapping = {
        pa.float64(): pd.Float64Dtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.string(): pd.StringDtype(),
    }
    return mapping.get


def _selected(schema: Any, columns: tuple | None) -> Any:
    """The schema of the columns read (the record keys always come along)."""
    if columns is None:
        return schema
    keep = {"trial_id", "attempt", "epoch", *columns}
    import pyarrow as pa

    return pa.schema([f for f in schema if f.name in keep])


def empty_frame(table: str, columns: tuple | None = None) -> Any:
    import pandas as pd

    schema = _selected(SCHEMAS[table], columns)
    frame = schema.empty_table().to_pandas(types_mapper=_types(schema))
    frame.insert(0, "sweep", pd.Series([], dtype="string"))
    return frame


def load_table(
    location: Location,
    table: str,
    sweep: str,
    columns: list[str] | None = None,
    files_per_partition: int = FILES_PER_PARTITION,
) -> Any:
    """A Dask DataFrame of the table's latest-attempt rows for one sweep (``columns``: read only
    these, plus the record keys)."""
    import dask.dataframe as dd

    selected = tuple(columns) if columns is not None else None
    trials = list_trial_files(location, table, sweep)
    parts: list[tuple] = []
    for group in compacted_groups(location, table, sweep):
        inside = tuple(t for t in trials if group.low <= t.trial_id <= group.high)
        parts.append((location, table, sweep, inside, selected, group))
        trials = [t for t in trials if not group.low <= t.trial_id <= group.high]
    current, count = [], 0
    for trial in trials:
        current.append(trial)
        count += len(trial.files)
        if count >= files_per_partition:
            parts.append((location, table, sweep, tuple(current), selected))
            current, count = [], 0
    if current:
        parts.append((location, table, sweep, tuple(current), selected))
    meta = empty_frame(table, selected)
    if not parts:
        return dd.from_pandas(meta, npartitions=1)
    return dd.from_map(read_partition, parts, meta=meta, enforce_metadata=False)
