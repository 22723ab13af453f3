"""The store's errors: each message is one sentence that names the file and the fix.

They live apart from the storage so that the file format, the storage and the tables can all
raise them without importing each other; `store.journal` re-exports them for older imports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional


class StoreError(Exception):
    """Base for storage errors; the message is a sentence a user can act on."""


class StoreCorruptError(StoreError):
    """A database file cannot be read. Nothing was moved, truncated or deleted."""

    def __init__(self, path: Path, detail: str, line: Optional[int] = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}, line {line}" if line is not None else f"{path}"
        super().__init__(
            f"The database file {where} is damaged ({detail}). Nothing was changed: "
            f"restore the project's db/ folder from a backup, or move it aside to start afresh."
        )


class StoreLockedError(StoreError):
    """Another process holds the database."""


class StoreWriteError(StoreError):
    """A change could not be written (disk full, permissions); the store says what to do."""


def describe_os_error(exc: OSError) -> str:
    """The short reason of an OSError ("No space left on device"), without a traceback."""
    return exc.strerror or str(exc) or type(exc).__name__
