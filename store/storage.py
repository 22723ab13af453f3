"""A crash-safe TinyDB storage: an append-only, checksummed journal over an atomic snapshot.

TinyDB's `JSONStorage` rewrites the whole file on every change (hundreds of milliseconds at
10,000 examples) and leaves it unreadable if killed between write and truncate;
`CachingMiddleware` loses everything unflushed.  Here each change is one checksummed line
appended with a single unbuffered `write()` (a SIGKILL loses nothing acknowledged), fsynced
in small groups by a background thread (a power cut loses at most `fsync_interval` seconds),
and folded into a snapshot now and then.  The format is in `store.journal_format`.

Open is strict and changes nothing it has not proven safe: any damage (a checksum, a header,
a generation that does not fit, a journal missing beside its snapshot) is a
`StoreCorruptError` naming file and line, with every file left as it was.  Only a torn last
write is cut, and a whole last line that lost its newline gets it back.

Compaction is all-or-nothing: the new journal is written and fsynced as a temporary file
first, then the snapshot (which records the exact size of the journal it folds in) is
renamed in, then the new journal.  Until that last rename the old journal stays valid; if a
step fails, temporary files are removed and the writer either carries on with the old
journal or, when the snapshot is already in, refuses writes with a clear sentence until it
can put a fresh journal in place.  A compaction that fails after a change was made durable
never turns that change into an error: it is reported in `warnings`.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Union

from tinydb.storages import Storage

from store.errors import StoreCorruptError, StoreError, StoreWriteError, describe_os_error
from store.files import (acquire_lock, fsync_dir, read_file, temporary_of, unlink_quietly, write_all,
                         write_temporary)
from store.journal_format import (SnapshotImage, Tables, check_entry, encode_header, encode_line, encode_snapshot,
                                  parse_journal, parse_snapshot)

SNAPSHOT_NAME = "snapshot.json"
JOURNAL_NAME = "journal.jsonl"
LOCK_NAME = "lock"


def _note_ids(max_ids: dict[str, int], table: str, keys: Iterable[str]) -> None:
    highest = max((int(k) for k in keys if k.isdigit()), default=0)
    if highest > max_ids.get(table, 0):
        max_ids[table] = highest


class _Transaction:
    """The state of one open `JournalStorage.transaction()`."""

    def __init__(self, owner: int, data: Tables, max_ids: dict[str, int]) -> None:
        self.owner = owner
        self.data = data
        self.max_ids = max_ids
        self.copied: set[str] = set()
        self.entries: list[dict[str, Any]] = []
        self.depth = 0


class JournalStorage(Storage):
    """TinyDB storage keeping all tables in memory, durable through a journal.

    Args:
        path: the database folder (created if missing).
        fsync_interval: seconds between group fsyncs of the journal.
        compact_ratio: compact when the journal grows past this multiple of the
            snapshot size (and past `compact_min_bytes`).
        compact_min_bytes: journals smaller than this are never compacted.
        lock: take an exclusive advisory lock on the folder.
    """

    def __init__(self, path: Union[str, Path], fsync_interval: float = 0.2, compact_ratio: float = 1.0,
                 compact_min_bytes: int = 8 * 1024 * 1024, lock: bool = True) -> None:
        super().__init__()
        self.path = Path(path)
        self.snapshot_path = self.path / SNAPSHOT_NAME
        self.journal_path = self.path / JOURNAL_NAME
        self.fsync_interval = fsync_interval
        self.compact_ratio = compact_ratio
        self.compact_min_bytes = compact_min_bytes
        self._mutex = threading.RLock()
        self._lock_fd: Optional[int] = None
        self._generation = 0
        self._data: Tables = {}
        # Highest id ever used per table: a deleted document's id is never handed out again,
        # so an old reference (a decision to a deleted example) cannot point at a new record.
        self._max_ids: dict[str, int] = {}
        self._journal_fd: Optional[int] = None
        self._journal_bytes = 0
        self._snapshot_bytes = 0
        self._next_compact_bytes = 0  # after a failed compaction, wait for the journal to grow
        self._dirty = False
        self._closed = False
        # Why writes are refused until repaired (None: healthy), and how to repair.
        self._broken: Optional[str] = None
        self._repair: Optional[Callable[[], None]] = None
        self._txn: Optional[_Transaction] = None
        # Called after a transaction ends either way (tables drop their query caches).
        self._after_commit: list[Callable[[], None]] = []
        self.dropped_torn_line = False
        self.warnings: list[str] = []
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            if lock:
                self._lock_fd = acquire_lock(self.path, self.path / LOCK_NAME)
            self._load()
        except OSError as exc:
            self._close_fds()
            raise StoreError(
                f"Could not open the database at {self.path}: {describe_os_error(exc)}"
                f"{f' ({exc.filename})' if exc.filename else ''}. Nothing was changed; check that the "
                f"folder is writable by you and that its files are plain files."
            ) from None
        except BaseException:
            self._close_fds()
            raise
        self._stop = threading.Event()
        self._syncer = threading.Thread(target=self._sync_loop, name="journal-fsync", daemon=True)
        self._syncer.start()

    # -- locking -----------------------------------------------------------
    def _close_fds(self) -> None:
        for name in ("_journal_fd", "_lock_fd"):
            fd = getattr(self, name)
            if fd is not None:
                setattr(self, name, None)
                try:
                    os.close(fd)  # closing the lock file releases the flock
                except OSError:
                    pass

    # -- loading -----------------------------------------------------------
    def _load(self) -> None:
        """Check everything first; only then cut a torn tail, restore a newline or migrate."""
        snap_raw = read_file(self.snapshot_path)
        snap = parse_snapshot(self.snapshot_path, snap_raw) if snap_raw is not None else None
        raw = read_file(self.journal_path)
        if raw is None:
            if snap is not None:
                raise StoreCorruptError(self.journal_path, f"it is missing, yet {SNAPSHOT_NAME} expects it")
            self._remove_temporaries()
            self._install_new_journal(generation=0)
            return
        snap_generation = snap.generation if snap is not None else 0
        header = parse_journal(self.journal_path, raw, header_only=True)
        if snap is not None and header.generation == snap_generation - 1 and (
                header.legacy if snap.legacy else snap.folded_bytes == len(raw)):
            # A crash between the snapshot's rename and the new journal's: already folded in.
            self._take_snapshot(snap, len(snap_raw or b""))
            self._remove_temporaries()
            self._install_new_journal(generation=snap_generation)
            if snap.legacy:
                self.compact()  # once: from now on every line and the snapshot carry checksums
            return
        if header.generation != snap_generation:
            expected = f"{SNAPSHOT_NAME} has generation {snap_generation}" if snap is not None \
                else f"there is no {SNAPSHOT_NAME}"
            raise StoreCorruptError(self.journal_path,
                                    f"its header says generation {header.generation} but {expected}", 1)
        if snap is not None and snap.legacy != header.legacy:
            old_one = self.snapshot_path if snap.legacy else self.journal_path
            raise StoreCorruptError(old_one, "it is in the old format beside a newer file")
        image = parse_journal(self.journal_path, raw)
        if snap is not None:
            self._take_snapshot(snap, len(snap_raw or b""))
        for entry in image.entries:
            self._apply(entry)
        self._generation = snap_generation
        self._remove_temporaries()
        if image.torn:
            self.dropped_torn_line = True
            with open(self.journal_path, "r+b") as fh:
                fh.truncate(image.good_end)
                fh.flush()
                os.fsync(fh.fileno())
        self._journal_fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND)
        if image.missing_newline:
            write_all(self._journal_fd, b"\n")
            os.fsync(self._journal_fd)
        self._journal_bytes = os.fstat(self._journal_fd).st_size
        if image.legacy:
            self.compact()  # once: from now on every line and the snapshot carry checksums

    def _take_snapshot(self, snap: SnapshotImage, size: int) -> None:
        self._data = snap.tables
        self._max_ids = dict(snap.max_ids)
        for name, table in self._data.items():
            if table:
                _note_ids(self._max_ids, name, table.keys())
        self._generation = snap.generation
        self._snapshot_bytes = size

    def _remove_temporaries(self) -> None:
        """Temporary files are never authoritative: a compaction that did not finish left them."""
        for path in (self.journal_path, self.snapshot_path):
            tmp = temporary_of(path)
            if tmp.is_file():
                tmp.unlink()

    def _install_new_journal(self, generation: int) -> None:
        """Write a fresh journal as a temporary file, fsync, rename it in, and open it."""
        fd, tmp = write_temporary(self.journal_path, encode_header(generation), append=True)
        try:
            os.replace(tmp, self.journal_path)
            fsync_dir(self.path)
        except BaseException:
            os.close(fd)
            unlink_quietly(tmp)
            raise
        old, self._journal_fd = self._journal_fd, fd
        self._journal_bytes = os.fstat(fd).st_size
        if old is not None:
            os.close(old)

    def _apply(self, entry: Mapping[str, Any]) -> None:
        if "ops" in entry:
            for op in entry["ops"]:
                self._apply(op)
            return
        name = entry["t"]
        txn = self._txn
        if txn is not None:
            data, max_ids = txn.data, txn.max_ids
            if name not in txn.copied:  # copy on first write: other threads keep the committed dict
                data[name] = dict(data.get(name, {}))
                txn.copied.add(name)
        else:
            data, max_ids = self._data, self._max_ids
        table = data.setdefault(name, {})
        if entry.get("clear"):
            table.clear()
        puts = entry.get("put")
        if puts:
            table.update(puts)
            _note_ids(max_ids, name, puts.keys())
        dels = entry.get("del")
        if dels:
            for doc_id in dels:
                table.pop(doc_id, None)

    def max_id(self, table: str) -> int:
        """The highest document id `table` has ever had (0 if none)."""
        txn = self._txn
        if txn is not None and txn.owner == threading.get_ident():
            return txn.max_ids.get(table, 0)
        return self._max_ids.get(table, 0)

    # -- TinyDB Storage API ------------------------------------------------
    def read(self) -> Optional[Tables]:
        """The live tables; callers must not mutate documents outside `append`.

        Inside a transaction its own thread sees its uncommitted changes; every other
        thread keeps seeing the committed tables until the commit swaps them in at once.
        """
        txn = self._txn
        if txn is not None and txn.owner == threading.get_ident():
            return txn.data
        return self._data

    def write(self, data: Mapping[str, Mapping[str, Any]]) -> None:
        """Whole-database write (plain TinyDB tables, `drop_tables`): one line of clears + puts."""
        with self._mutex:
            current = self.read() or {}
            with self.transaction():
                for name in set(current) | set(data):
                    new = data.get(name, {})
                    self.append(name, put={str(k): dict(v) for k, v in new.items()}, clear=True)

    def close(self) -> None:
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            self._stop.set()
            if self._journal_fd is not None:
                try:
                    os.fsync(self._journal_fd)
                except OSError:
                    pass
            self._close_fds()
        self._syncer.join(timeout=2)

    # -- transactions ------------------------------------------------------
    def tables(self) -> Tables:
        """`read()` without the Optional TinyDB's signature demands (this storage always has tables)."""
        txn = self._txn
        if txn is not None and txn.owner == threading.get_ident():
            return txn.data
        return self._data

    def in_transaction(self) -> bool:
        """Whether the calling thread is inside `transaction()`."""
        txn = self._txn
        return txn is not None and txn.owner == threading.get_ident()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Make every change inside the block one journal line: all of it is durable, or none.

        Why: one logical change often spans several documents and tables (a decision event
        and its example's status); two lines could be cut apart by a kill, and a reader could
        see the first without the second.  The block holds the writer lock (other writers
        wait), works on copy-on-write copies of the tables it touches, and on success writes
        one line and swaps the new tables in with one assignment.  If the block raises,
        nothing is written and nothing changes.  Nested blocks join the outermost one.
        """
        with self._mutex:
            if self._txn is not None:  # the lock is re-entrant: only our own thread gets here
                self._txn.depth += 1
                try:
                    yield
                finally:
                    self._txn.depth -= 1
                return
            txn = _Transaction(threading.get_ident(), dict(self._data), dict(self._max_ids))
            self._txn = txn
            try:
                yield
                if txn.entries:
                    entry = {"ops": txn.entries} if len(txn.entries) > 1 else txn.entries[0]
                    self._append_line(entry)
                    self._data = txn.data
                    self._max_ids = txn.max_ids
            finally:
                self._txn = None
                for callback in self._after_commit:
                    callback()
            if txn.entries:
                self._maybe_compact()

    # -- journal writes ----------------------------------------------------
    def append(self, table: str, put: Optional[Mapping[str, dict[str, Any]]] = None,
               delete: Iterable[str] = (), clear: bool = False) -> None:
        """Journal one atomic change to `table`, then apply it in memory."""
        entry: dict[str, Any] = {"t": table}
        if clear:
            entry["clear"] = True
        if put:
            entry["put"] = dict(put)
        dels = list(delete)
        if dels:
            entry["del"] = dels
        with self._mutex:
            if self._txn is not None:  # the caller's transaction writes it at commit
                self._apply(entry)
                self._txn.entries.append(entry)
                return
            self._append_line(entry)
            self._apply(entry)
            self._maybe_compact()

    def _append_line(self, entry: dict[str, Any]) -> None:
        if self._closed:
            raise StoreWriteError(f"The database {self.path} is closed; reopen the project.")
        self._ensure_healthy()
        try:
            payload = encode_line(entry)
        except (TypeError, ValueError, RecursionError) as exc:
            raise StoreWriteError(f"Could not store this change in {self.path}: {str(exc)[:120]}. "
                                  f"Nothing was changed.") from None
        problem = check_entry(entry)
        if problem:  # what open would refuse must never be written
            raise StoreWriteError(f"Could not store this change in {self.path}: {problem}. Nothing was changed.")
        assert self._journal_fd is not None
        try:
            write_all(self._journal_fd, payload)
        except OSError as exc:
            # Cut any partial line so the journal stays well-formed; the change is not applied.
            try:
                os.ftruncate(self._journal_fd, self._journal_bytes)
            except OSError:
                self._break("a partial line could not be cut off the journal", self._cut_partial_line)
            raise StoreWriteError(
                f"Could not write to {self.journal_path}: {describe_os_error(exc)}. "
                f"Nothing was changed; free some disk space and try again."
            ) from None
        self._journal_bytes += len(payload)
        self._dirty = True

    # -- health ------------------------------------------------------------
    def _break(self, why: str, repair: Callable[[], None]) -> None:
        self._broken = why
        self._repair = repair

    def _ensure_healthy(self) -> None:
        """Repair a failed compaction or write before the next write, or refuse it."""
        if self._broken is None:
            return
        assert self._repair is not None
        try:
            self._repair()
        except OSError as exc:
            raise StoreWriteError(
                f"The database {self.path} cannot take changes: {self._broken} "
                f"({describe_os_error(exc)}). Everything saved so far is safe; free some disk space "
                f"and try again, or reopen the project."
            ) from None
        self._broken = self._repair = None

    def _cut_partial_line(self) -> None:
        assert self._journal_fd is not None
        os.ftruncate(self._journal_fd, self._journal_bytes)

    def _sync_loop(self) -> None:
        while not self._stop.wait(self.fsync_interval):
            self.sync()

    def sync(self) -> None:
        """fsync the journal now if anything was written since the last one."""
        with self._mutex:
            if self._dirty and self._journal_fd is not None:
                self._dirty = False
                try:
                    os.fsync(self._journal_fd)
                except OSError:
                    self._dirty = True

    # -- compaction --------------------------------------------------------
    def _maybe_compact(self) -> None:
        """Compact when due; a failure here is a warning, since the change itself is durable."""
        if self._journal_bytes >= max(self.compact_min_bytes, self._next_compact_bytes) and \
                self._journal_bytes >= self.compact_ratio * self._snapshot_bytes:
            try:
                self.compact()
            except StoreWriteError as exc:
                # Retry once the journal has grown a little more, not on every write.
                self._next_compact_bytes = self._journal_bytes + max(self.compact_min_bytes // 4, 64 * 1024)
                self.warnings.append(str(exc))

    def compact(self) -> None:
        """Fold the journal into a new snapshot, all or nothing (see the module docstring)."""
        with self._mutex:
            if self._txn is not None:
                return  # the transaction's commit compacts afterwards if due
            self._ensure_healthy()
            generation = self._generation + 1
            journal_fd: Optional[int] = None
            journal_tmp: Optional[Path] = None
            snapshot_tmp: Optional[Path] = None
            snapshot_in = False
            try:
                payload = encode_snapshot(generation, self._max_ids, self._data,
                                          folded_generation=self._generation, folded_bytes=self._journal_bytes)
                journal_fd, journal_tmp = write_temporary(self.journal_path, encode_header(generation),
                                                                append=True)
                snapshot_fd, snapshot_tmp = write_temporary(self.snapshot_path, payload)
                os.close(snapshot_fd)
                os.replace(snapshot_tmp, self.snapshot_path)
                snapshot_in = True
                self._generation = generation
                self._snapshot_bytes = len(payload)
                # The snapshot's rename must be durable before the new journal's: a new journal
                # beside an old snapshot would not open.
                fsync_dir(self.path)
                os.replace(journal_tmp, self.journal_path)
            except (OSError, ValueError, RecursionError) as exc:
                if journal_fd is not None:
                    os.close(journal_fd)
                for tmp in (journal_tmp, snapshot_tmp):
                    if tmp is not None:
                        unlink_quietly(tmp)
                if snapshot_in:
                    self._after_snapshot_failure()
                reason = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)[:120]
                raise StoreWriteError(
                    f"Could not compact the database {self.path}: {reason}. Everything saved so far is "
                    f"safe; free some disk space."
                ) from None
            try:
                # Not needed for consistency: if this rename is lost, the old journal is the
                # folded one, which open recognises by its size.
                fsync_dir(self.path)
            except OSError:
                pass
            old, self._journal_fd = self._journal_fd, journal_fd
            self._journal_bytes = os.fstat(journal_fd).st_size
            self._dirty = False
            self._next_compact_bytes = 0
            if old is not None:
                os.close(old)

    def _after_snapshot_failure(self) -> None:
        """The new snapshot is in but the new journal may not be: the old one is folded.

        Appending to the folded journal would write changes that open then ignores, so its
        descriptor is closed and writes are refused until a fresh journal is in place.
        """
        if self._journal_fd is not None:
            os.close(self._journal_fd)
            self._journal_fd = None
        self._break("its journal could not be renewed after a compaction",
                    lambda: self._install_new_journal(self._generation))
