"""What a resume takes from a sweep record, and what it decides here.

A record in the store is data that whoever can write the store chose. Resume therefore derives
the places it loads code-bearing files from (Ray's experiment snapshots are pickles) on this
machine: the experiment root from the store the user named and this machine's outputs, the
experiment names from the sweep's own name, and the Ray address from the command line (a
record's ``auto`` or none mean this machine's Ray). The store named on the command line wins
over the one the record names, with a one-line warning.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from pipeline.space import SearchSpace, SpaceError, check_setting
from pipeline.sweep._record import SweepError, SweepRecord

LOCAL_ADDRESSES = (None, "", "auto", "local")


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def check_experiments(record: SweepRecord, location: Any, derived_root: str) -> None:
    """Ray's experiments only under the root derived here (``_experiment_root``) and under the
    sweep's own experiment names: a record that puts them anywhere else is refused where that
    place exists (a pickle someone planted), and moved to the derived root where it does not
    (a resume on another machine)."""
    pattern = re.compile(re.escape(record.name) + r"(-part[0-9]{1,6})?")
    for segment in record.segments:
        if not isinstance(segment.experiment, str) or not pattern.fullmatch(segment.experiment):
            shown = str(segment.experiment)[:200]
            raise SweepError(
                f"sweep {record.name}: damaged sweep record (segment experiment "
                f"{shown!r} is not named after the sweep)"
            )
    recorded = str(record.storage_path)
    if _same_path(recorded, derived_root, location):
        record.storage_path = derived_root
        return
    if _exists(recorded, location):
        raise SweepError(
            f"sweep {record.name}: its record puts Ray's experiments at "
            f"{recorded[:200]}, not under this machine's {derived_root}; resume "
            "restores experiments only from there (move them there, or set "
            "SYMSEARCH_OUTPUTS to the outputs that hold them)"
        )
    record.storage_path = derived_root


def check_study_storage(record: SweepRecord, outputs: str) -> None:
    """A record's SQLite study lies under this machine's outputs: Optuna creates the file it
    names, so a record may not choose where (a database URL of a server names no local file)."""
    import os

    url = record.study_storage
    if url is None or not url.startswith("sqlite:"):
        return
    path = os.path.realpath(url.split("///", 1)[-1].split("?")[0])
    if not path.startswith(os.path.realpath(outputs) + os.sep):
        raise SweepError(
            f"sweep {record.name}: its record puts the study at {url[:200]}, "
            f"outside this machine's {outputs}; resume opens a SQLite study only "
            "there (a PostgreSQL study_storage works from any machine)"
        )


def _same_path(recorded: str, derived: str, location: Any) -> bool:
    if location.is_local:
        import os

        return os.path.realpath(recorded) == os.path.realpath(derived)
    return recorded.rstrip("/") == derived.rstrip("/")


def _exists(path: str, location: Any) -> bool:
    if location.is_local:
        import os

        return os.path.lexists(path)
    try:
        return bool(location.fs.exists(path))
    except Exception:  # an unreachable or foreign path: nothing there that resume may use
        return False


def choose_address(record: SweepRecord, address: str | None) -> str | None:
    """The command line's ``--address`` (else this machine's Ray); a record that names another
    cluster is not joined on its word (one line says how to)."""
    if address is not None:
        record.address = address
        return address
    if record.address not in LOCAL_ADDRESSES:
        warn(
            f"sweep {record.name}: its record names the Ray cluster {str(record.address)[:200]}; "
            f"not joined on the record's word (`symsearch resume {record.name} --address "
            f"{str(record.address)[:200]}` joins it); starting this machine's Ray"
        )
        record.address = None
    return record.address


def check_arguments(num_samples: Any = None, max_concurrent: Any = None, **texts: Any) -> None:
    """Flags and API arguments, before anything is saved or started: numbers within the space's
    own bounds, text where text is expected (a SpaceError line, never a TypeError later)."""
    check_setting("--num-samples", "num_samples", num_samples)
    check_setting("--max-concurrent", "max_concurrent", max_concurrent)
    for key, value in texts.items():
        expected = bool if key == "verbose" else str
        if value is not None and not isinstance(value, expected):
            raise SpaceError(f"{key}: expected {expected.__name__}, got {type(value).__name__}")


def recorded_space(record: SweepRecord) -> SearchSpace:
    """The record's space, held to every bound a space file is (a record edited by hand)."""
    from pipeline.space import parse_space

    try:
        return parse_space(record.space, "space")
    except SpaceError as error:
        raise SweepError(
            f"{record.folder / 'sweep.json'}: damaged sweep record (space: {error})"
        ) from None


def factory_policy(allow_factories: Any, trust_store: bool) -> Any:
    """Factories a record names are imported only where the user allows them (the driver
    validates every candidate before Ray starts, so workers only meet allowed ones)."""
    import contextlib

    from pipeline._util.factories import check_allow_list, stored_data, trust_store_warning

    allowed = check_allow_list(allow_factories)
    if trust_store:
        trust_store_warning()
        return contextlib.nullcontext()
    return stored_data(allowed)
