"""A read-only view of a journal folder: what `interiority books` and `examples` need while the studio writes.

Why no lock: the writer holds the folder's exclusive flock for as long as it is open, so a
shared lock could never be granted beside it.  Reading needs none: the writer only appends
whole lines with one `write()` each, and replaces the snapshot and journal by rename.  So a
reader that takes the snapshot and the journal as they are can meet exactly three things, and
each has an answer that changes no file:

* a last line the writer is still writing: it is a torn fragment, simply not read (the change
  it carries is not acknowledged yet; the next read sees it);
* a compaction between reading the snapshot and reading the journal: the generations do not
  fit, or the snapshot changed under us; read both again;
* a snapshot renamed in before its fresh journal: the old journal is the one it folded, which
  `storage._load` already recognises by its size; the snapshot alone is the state.

It never creates the folder, takes no lock, never cuts a torn tail, restores no newline,
removes no temporary file, never compacts or migrates, and refuses every write with one
sentence, so a command marked read-only by mistake fails instead of changing the store.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Union

from tinydb.storages import Storage

from store.errors import StoreCorruptError, StoreError, StoreWriteError, describe_os_error
from store.files import read_file
from store.journal_format import Tables, parse_journal, parse_snapshot
from store.storage import JOURNAL_NAME, SNAPSHOT_NAME, JournalStorage

# How many times a read that met a compaction is tried again before the mismatch is damage.
_ATTEMPTS = 50


def _identity(path: Path) -> Optional[tuple[int, int, int, int]]:
    """What tells one version of a file from the next (a rename changes the inode)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns)


class ReadOnlyJournalStorage(JournalStorage):
    """The committed tables of a journal folder as they were when it was opened; no writes."""

    def __init__(self, path: Union[str, Path], **_ignored: Any) -> None:
        Storage.__init__(self)
        self.path = Path(path)
        self.snapshot_path = self.path / SNAPSHOT_NAME
        self.journal_path = self.path / JOURNAL_NAME
        self._mutex = threading.RLock()
        self._lock_fd = None
        self._journal_fd = None
        self._generation = 0
        self._data: Tables = {}
        self._max_ids: dict[str, int] = {}
        self._closed = False
        self._broken = None
        self._repair = None
        self._txn = None
        self._after_commit: list[Callable[[], None]] = []
        self.dropped_torn_line = False
        self.warnings: list[str] = []
        try:
            self._read_consistent()
        except OSError as exc:
            raise StoreError(
                f"Could not read the database at {self.path}: {describe_os_error(exc)}"
                f"{f' ({exc.filename})' if exc.filename else ''}. Nothing was changed; check that the "
                f"folder is readable by you."
            ) from None

    def _read_consistent(self) -> None:
        """Read snapshot then journal; again if a compaction ran in between (see the module docstring)."""
        if self.path.exists() and not self.path.is_dir():
            raise StoreCorruptError(self.path, "it is a file, not the database folder")
        for attempt in range(_ATTEMPTS):
            before = _identity(self.snapshot_path)
            snap_raw = read_file(self.snapshot_path)
            raw = read_file(self.journal_path)
            settled = _identity(self.snapshot_path) == before
            try:
                self._take(snap_raw, raw)
                return
            except StoreCorruptError:
                if settled and attempt > 0:
                    raise  # the files held still for a whole read: this is damage, not a race
            if attempt == _ATTEMPTS - 1:
                raise StoreCorruptError(self.path, "it kept changing while being read; try again")

    def _take(self, snap_raw: Optional[bytes], raw: Optional[bytes]) -> None:
        snap = parse_snapshot(self.snapshot_path, snap_raw) if snap_raw is not None else None
        self._data, self._max_ids, self._generation = {}, {}, 0
        if raw is None:
            if snap is not None:
                raise StoreCorruptError(self.journal_path, f"it is missing, yet {SNAPSHOT_NAME} expects it")
            return  # no database yet: empty, and nothing is created
        snap_generation = snap.generation if snap is not None else 0
        header = parse_journal(self.journal_path, raw, header_only=True)
        if snap is not None and header.generation == snap_generation - 1 and (
                header.legacy if snap.legacy else snap.folded_bytes == len(raw)):
            # Renamed in before its fresh journal: the snapshot holds everything.
            self._take_snapshot(snap, len(snap_raw or b""))
            return
        if header.generation != snap_generation:
            raise StoreCorruptError(self.journal_path,
                                    f"its header says generation {header.generation} but the snapshot "
                                    f"has generation {snap_generation}", 1)
        image = parse_journal(self.journal_path, raw)  # a torn last line is left out, not cut
        if snap is not None:
            self._take_snapshot(snap, len(snap_raw or b""))
        for entry in image.entries:
            self._apply(entry)

    # -- every write is refused ---------------------------------------------
    def _refuse(self) -> StoreWriteError:
        return StoreWriteError(
            f"The database {self.path} was opened read-only, so this change was not made; run a command "
            f"that changes the project when no other Interiority process has it open."
        )

    def append(self, table: str, put: Optional[Mapping[str, dict[str, Any]]] = None,
               delete: Iterable[str] = (), clear: bool = False) -> None:
        raise self._refuse()

    def write(self, data: Mapping[str, Mapping[str, Any]]) -> None:
        raise self._refuse()

    def compact(self) -> None:
        raise self._refuse()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A block that only reads is fine; any write inside it is refused by `append`."""
        yield

    def sync(self) -> None:
        """Nothing is ever written, so there is nothing to flush."""

    def close(self) -> None:
        self._closed = True
