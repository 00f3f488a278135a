"""Store URLs to fsspec filesystems: local paths, file://, s3://, gs://, memory://."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import fsspec
from fsspec.implementations.local import LocalFileSystem

from pipeline.errors import SymsearchError

DEFAULT_STORE = "outputs/store"  # under $SYMSEARCH_OUTPUTS when set: default_store()
# Failures of object-store clients that are not OSErrors (missing credentials, an endpoint that
# cannot be reached): their exception classes live in these packages.
REMOTE_ERROR_PACKAGES = ("botocore", "aiobotocore", "aiohttp", "google", "gcsfs", "s3fs")
# s3:// defaults (explicit storage options win): an endpoint that does not answer fails in about
# half a minute instead of botocore's minutes of retries
S3_CLIENT_DEFAULTS = {
    "connect_timeout": 10,
    "read_timeout": 60,
    "retries": {"max_attempts": 3, "mode": "standard"},
}


class StoreError(SymsearchError):
    """A store that cannot be opened or written; one line for the user."""


# The one rule for sweep names (trial --name, sweep, resume, status, analyze): a name becomes a
# folder (outputs/sweeps/<name>, <table>/sweep=<name>), so no separators, no "..", no
# whitespace or control characters, never empty.
SWEEP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def check_sweep_name(name: str, what: str = "sweep name") -> str:
    """The name itself when it follows the rule; else a StoreError naming ``what`` was given."""
    if not isinstance(name, str) or not SWEEP_NAME.fullmatch(name):
        raise StoreError(
            f"{what}: {name!r} is not a sweep name (1 to 100 letters, digits, '_', "
            "'.' or '-', starting with a letter or digit)"
        )
    return name


@dataclass(frozen=True)
class Location:
    fs: fsspec.AbstractFileSystem
    root: str  # path inside fs, no trailing slash
    url: str

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    def path(self, *parts: str) -> str:
        return "/".join([self.root, *parts])


def open_store(url: str | None = None, **storage_options: object) -> Location:
    """Resolve a store URL; object stores take credentials and endpoints from the usual
    environment (AWS_*, GOOGLE_APPLICATION_CREDENTIALS) or ``storage_options``."""
    if url is None:
        url = default_store()
    if not url.strip():
        raise StoreError("--store: an empty URL; name a store (a path, file://, s3://, gs://...)")
    if url.startswith(("s3://", "s3a://")):
        storage_options.setdefault("config_kwargs", S3_CLIENT_DEFAULTS)
    try:
        fs, root = fsspec.core.url_to_fs(url, **storage_options)
    except Exception as error:  # an unknown protocol, a missing driver, a refused connection...
        if not isinstance(error, ImportError | ValueError | OSError) and not is_remote_error(error):
            raise
        raise StoreError(f"--store {url}: cannot open ({one_line(error)})") from None
    if isinstance(fs, LocalFileSystem):
        root = fs._strip_protocol(root)
    elif not root.strip("/"):  # s3:// alone would list every bucket the credentials reach
        protocol = url.split("://", 1)[0]
        raise StoreError(f"--store {url}: names no bucket or folder ({protocol}://BUCKET/PATH)")
    return Location(fs, root.rstrip("/"), url)


def default_store() -> str:
    """``outputs/store``, under ``$SYMSEARCH_OUTPUTS`` when that is set (like the sweep records)."""
    outputs = os.environ.get("SYMSEARCH_OUTPUTS")
    return str(Path(outputs) / "store") if outputs else DEFAULT_STORE


def one_line(error: BaseException) -> str:
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def is_remote_error(error: BaseException) -> bool:
    return type(error).__module__.split(".")[0] in REMOTE_ERROR_PACKAGES


@contextlib.contextmanager
def store_errors(location: Location, doing: str = "cannot be read") -> Iterator[None]:
    """Errors of the store's filesystem (a missing bucket, no credentials, an endpoint that does
    not answer, a refused connection) become one StoreError line."""
    try:
        yield
    except StoreError:
        raise
    except Exception as error:
        if not isinstance(error, OSError) and not is_remote_error(error):
            raise
        raise StoreError(f"store {location.url} {doing}: {one_line(error)}") from None


def check_readable(location: Location) -> None:
    """Fail unless the store is a folder (a missing path or a plain file is a typo, not an empty
    store), reachable with the credentials at hand."""
    with store_errors(location):
        location.fs.invalidate_cache()
        if location.fs.isdir(location.root):
            return
        exists = location.fs.exists(location.root)
    reason = "is a file, not a store folder" if exists else "does not exist"
    raise StoreError(f"store {location.url} {reason}")
