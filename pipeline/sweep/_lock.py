"""One driver per sweep: ``<store>/_sweeps/<name>/lock``, created exclusively (local disk: a hard
link; object stores: a conditional PUT, ``If-None-Match: *``) by ``sweep`` and ``resume`` before
anything is written, removed when they end. It names its holder (host, process, start) and is
refreshed every ``HEARTBEAT_SECONDS``; a lock is stale when its holder's process is gone (same
host) or its heartbeat is older than ``STALE_SECONDS``, and ``--force`` takes any lock."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from pipeline.sweep._record import SWEEPS, SweepError

HEARTBEAT_SECONDS = 60.0
STALE_SECONDS = 600.0  # ten heartbeats missed: the holder is gone (killed, host lost)


def lock_name(name: str) -> str:
    return f"{SWEEPS}/{name}/lock"


@contextlib.contextmanager
def sweep_lock(location: Any, name: str, force: bool = False) -> Iterator[None]:
    """Hold the sweep's lock for the block (one line naming the holder when another has it)."""
    token = acquire(location, name, force)
    beat = threading.Event()
    thread = threading.Thread(target=_heartbeat, args=(location, name, token, beat), daemon=True)
    thread.start()
    try:
        yield
    finally:
        beat.set()
        release(location, name, token)


def acquire(location: Any, name: str, force: bool = False) -> str:
    """Create the lock; a stale lock (or any, with ``force``) is replaced once. Its token."""
    from pipeline.store import create_blob, remove_blob

    token = uuid.uuid4().hex
    for _ in range(2):
        try:
            create_blob(location, lock_name(name), _payload(token))
            return token
        except FileExistsError:
            holder = read_holder(location, name)
            if holder is None:  # released between the create and the read
                continue
            if not force and not is_stale(holder):
                raise SweepError(
                    f"sweep {name} is running: {describe(holder)} holds "
                    f"{location.url}/{lock_name(name)} (stale after "
                    f"{STALE_SECONDS:.0f} s without a heartbeat; --force takes it)"
                ) from None
            print(
                f"warning: sweep {name}: taking the lock of {describe(holder)} "
                f"({'--force' if force else 'stale'})",
                file=sys.stderr,
            )
            remove_blob(location, lock_name(name))
    raise SweepError(f"sweep {name}: another driver took its lock at the same moment; try again")


def release(location: Any, name: str, token: str) -> None:
    """Remove the lock if it is still this driver's."""
    from pipeline.store import StoreError, remove_blob

    holder = read_holder(location, name)
    if holder is not None and holder.get("token") == token:
        with contextlib.suppress(StoreError, OSError):
            remove_blob(location, lock_name(name))


def read_holder(location: Any, name: str) -> dict[str, Any] | None:
    """The lock's content; None where there is no lock; an unreadable one is a holder of
    unknown age (``{}``: stale only by ``--force``)."""
    from pipeline.store import read_blob

    payload = read_blob(location, lock_name(name))
    if payload is None:
        return None
    try:
        holder = json.loads(payload)
    except ValueError:
        return {}
    return holder if isinstance(holder, dict) else {}


def is_stale(holder: dict[str, Any], now: float | None = None) -> bool:
    now = time.time() if now is None else now
    beat = holder.get("heartbeat")
    if isinstance(beat, int | float) and now - beat > STALE_SECONDS:
        return True
    pid = holder.get("pid")
    if holder.get("host") == socket.gethostname() and isinstance(pid, int):
        return not _alive(pid)
    return False


def describe(holder: dict[str, Any]) -> str:
    if not holder:
        return "an unreadable lock"
    return (
        f"process {holder.get('pid')} on {str(holder.get('host'))[:100]} since "
        f"{str(holder.get('started'))[:40]}"
    )


def _payload(token: str, started: str | None = None) -> bytes:
    started = started or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return json.dumps(
        {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "token": token,
            "started": started,
            "heartbeat": time.time(),
        }
    ).encode()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _heartbeat(location: Any, name: str, token: str, stop: threading.Event) -> None:
    from pipeline.store import write_blob

    while not stop.wait(HEARTBEAT_SECONDS):
        with contextlib.suppress(Exception):  # a missed beat is only a later stale time
            holder = read_holder(location, name) or {}
            if holder.get("token") != token:
                return  # taken with --force: the other driver holds it now
            write_blob(location, lock_name(name), _payload(token, holder.get("started")))
