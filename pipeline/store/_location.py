"""Store URLs to fsspec filesystems: local paths, file://, s3://, gs://, memory://."""

from __future__ import annotations

from dataclasses import dataclass

import fsspec
from fsspec.implementations.local import LocalFileSystem

from pipeline.errors import SymsearchError

DEFAULT_STORE = "outputs/store"


class StoreError(SymsearchError):
    """A store that cannot be opened or written; one line for the user."""


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
    url = url or DEFAULT_STORE
    try:
        fs, root = fsspec.core.url_to_fs(url, **storage_options)
    except (ImportError, ValueError) as error:
        raise StoreError(f"--store {url}: cannot open ({error})") from None
    if isinstance(fs, LocalFileSystem):
        root = fs._strip_protocol(root)
    return Location(fs, root.rstrip("/"), url)
