"""A crash-safe TinyDB storage: an append-only journal over an atomic snapshot.

TinyDB's `JSONStorage` rewrites the whole file on every change (hundreds of
milliseconds at 10,000 examples) and leaves it unreadable if killed between
write and truncate; `CachingMiddleware` loses everything unflushed.  Here each
change is one JSON line appended with a single unbuffered `write()` (so a
SIGKILL loses nothing that was acknowledged), fsynced in small groups by a
background thread (a power cut loses at most `fsync_interval` seconds), and
folded into a snapshot now and then by writing a temporary file, fsync, and an
atomic rename.

Layout of a database folder::

    snapshot.json   {"generation": G, "tables": {...}}       (may be absent)
    journal.jsonl   {"generation": G}                         (header line)
                    {"t": "examples", "put": {"17": {...}}}   (one per change)
                    {"t": "examples", "del": ["17"]}
                    {"t": "examples", "clear": true}

A journal whose generation is older than the snapshot's was already folded
into it (a crash between the rename and the new journal) and is ignored.
Replaying puts and deletes is idempotent, so nothing is ever applied twice in
a way that matters.
"""

from __future__ import annotations

import json
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, MutableMapping, Optional, Union

from tinydb import TinyDB
from tinydb.queries import QueryLike
from tinydb.storages import Storage
from tinydb.table import Table

try:  # POSIX advisory lock: two writers on one journal would interleave lines.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

SNAPSHOT_NAME = "snapshot.json"
JOURNAL_NAME = "journal.jsonl"
LOCK_NAME = "lock"

Tables = dict[str, dict[str, dict]]


class StoreError(Exception):
    """Base for storage errors; the message is a sentence a user can act on."""


class StoreCorruptError(StoreError):
    """A database file cannot be read. Nothing was moved or deleted."""

    def __init__(self, path: Path, detail: str):
        self.path = path
        super().__init__(
            f"The database file {path} is damaged ({detail}). Nothing was changed: "
            f"restore it from a backup, or move it aside to start that table afresh."
        )


class StoreLockedError(StoreError):
    """Another process holds the database."""


class StoreWriteError(StoreError):
    """A change could not be written (disk full, permissions)."""


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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

    def __init__(
        self,
        path: Union[str, Path],
        fsync_interval: float = 0.2,
        compact_ratio: float = 1.0,
        compact_min_bytes: int = 8 * 1024 * 1024,
        lock: bool = True,
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.snapshot_path = self.path / SNAPSHOT_NAME
        self.journal_path = self.path / JOURNAL_NAME
        self.fsync_interval = fsync_interval
        self.compact_ratio = compact_ratio
        self.compact_min_bytes = compact_min_bytes
        self._mutex = threading.RLock()
        self._lock_fd: Optional[int] = None
        if lock:
            self._acquire_lock()
        self._generation = 0
        self._data: Tables = {}
        # Highest id ever used per table: a deleted document's id is never handed out again,
        # so an old reference (a decision to a deleted example) cannot point at a new record.
        self._max_ids: dict[str, int] = {}
        self._journal_fd: Optional[int] = None
        self._journal_bytes = 0
        self._snapshot_bytes = 0
        self._dirty = False
        self._closed = False
        self._txn: Optional[_Transaction] = None
        # Called after a transaction ends either way (tables drop their query caches).
        self._after_commit: list[Callable[[], None]] = []
        self.dropped_torn_line = False
        try:
            self._load()
            self._open_journal()
        except BaseException:
            self._release_lock()
            raise
        self._stop = threading.Event()
        self._syncer = threading.Thread(target=self._sync_loop, name="journal-fsync", daemon=True)
        self._syncer.start()

    # -- locking -----------------------------------------------------------
    def _acquire_lock(self) -> None:
        if fcntl is None:
            return
        fd = os.open(self.path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = ""
            try:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            except OSError:
                pass
            os.close(fd)
            who = f" (process {holder})" if holder else ""
            raise StoreLockedError(
                f"The project database {self.path} is open in another Interiority process{who}. "
                f"Close that one first, or open another project with --project."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            try:
                os.close(self._lock_fd)  # closing releases the flock
            finally:
                self._lock_fd = None

    # -- loading -----------------------------------------------------------
    def _load(self) -> None:
        snapshot_generation = 0
        if self.snapshot_path.exists():
            raw = self.snapshot_path.read_bytes()
            self._snapshot_bytes = len(raw)
            try:
                snap = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                raise StoreCorruptError(self.snapshot_path, f"not valid JSON: {exc}") from None
            if not isinstance(snap, dict) or not isinstance(snap.get("tables"), dict):
                raise StoreCorruptError(self.snapshot_path, "no 'tables' object at the top")
            snapshot_generation = int(snap.get("generation", 0))
            self._data = snap["tables"]
            self._max_ids = {k: int(v) for k, v in (snap.get("max_ids") or {}).items()}
            for name, table in self._data.items():
                if table:
                    self._note_ids(name, table.keys())
        self._generation = snapshot_generation
        if not self.journal_path.exists():
            return
        raw = self.journal_path.read_bytes()
        if not raw:
            return
        lines = raw.split(b"\n")
        # A file ending in "\n" splits into [..., b""]; anything else at the end
        # is a line whose write was torn by a crash.
        tail = lines.pop()
        good_end = len(raw) - len(tail)
        if tail:
            self.dropped_torn_line = True
        if not lines:
            # Only a torn header: nothing acknowledged was ever written here.
            self._truncate_journal(good_end)
            return
        try:
            header = json.loads(lines[0])
            journal_generation = int(header["generation"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise StoreCorruptError(self.journal_path, "line 1 is not a journal header") from None
        if journal_generation < snapshot_generation:
            # Already folded into the snapshot before a crash; start a new one.
            self._journal_bytes = 0
            self._write_new_journal()
            return
        if journal_generation > snapshot_generation:
            raise StoreCorruptError(
                self.journal_path,
                f"journal generation {journal_generation} is newer than snapshot {snapshot_generation}; "
                f"the snapshot is missing or old",
            )
        for number, line in enumerate(lines[1:], start=2):
            try:
                entry = json.loads(line)
                self._apply(entry)
            except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
                raise StoreCorruptError(self.journal_path, f"line {number} cannot be read: {exc}") from None
        if tail:
            self._truncate_journal(good_end)
        self._journal_bytes = good_end

    def _truncate_journal(self, size: int) -> None:
        with open(self.journal_path, "r+b") as fh:
            fh.truncate(size)
            fh.flush()
            os.fsync(fh.fileno())

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

    def _note_ids(self, table: str, keys: Iterable[str]) -> None:
        _note_ids(self._max_ids, table, keys)

    def max_id(self, table: str) -> int:
        """The highest document id `table` has ever had (0 if none)."""
        txn = self._txn
        if txn is not None and txn.owner == threading.get_ident():
            return txn.max_ids.get(table, 0)
        return self._max_ids.get(table, 0)

    def _open_journal(self) -> None:
        if not self.journal_path.exists() or self.journal_path.stat().st_size == 0:
            self._write_new_journal()
        self._journal_fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND)
        self._journal_bytes = os.fstat(self._journal_fd).st_size

    def _write_new_journal(self) -> None:
        tmp = self.journal_path.with_suffix(".jsonl.tmp")
        with open(tmp, "wb") as fh:
            fh.write((_dumps({"generation": self._generation}) + "\n").encode())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.journal_path)
        _fsync_dir(self.path)

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
                    self._append_lines([{"ops": txn.entries}] if len(txn.entries) > 1 else txn.entries)
                    self._data = txn.data
                    self._max_ids = txn.max_ids
            finally:
                self._txn = None
                for callback in self._after_commit:
                    callback()
            if txn.entries:
                self._maybe_compact()

    def write(self, data: Mapping[str, Mapping[str, Any]]) -> None:
        """Whole-database write (plain TinyDB tables, `drop_tables`): journal it as clears + puts."""
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
                os.close(self._journal_fd)
                self._journal_fd = None
            self._release_lock()
        self._syncer.join(timeout=2)

    # -- journal writes ----------------------------------------------------
    def append(self, table: str, put: Optional[Mapping[str, dict]] = None,
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
            self._append_lines([entry])
            self._apply(entry)
            self._maybe_compact()

    def _append_lines(self, entries: list[dict]) -> None:
        if self._closed or self._journal_fd is None:
            raise StoreWriteError(f"The database {self.path} is closed; reopen the project.")
        payload = "".join(_dumps(e) + "\n" for e in entries).encode("utf-8")
        try:
            written = os.write(self._journal_fd, payload)
            while written < len(payload):  # short writes happen on signals / full disks
                written += os.write(self._journal_fd, payload[written:])
        except OSError as exc:
            # Cut any partial line so the journal stays well-formed; the change is not applied.
            try:
                os.ftruncate(self._journal_fd, self._journal_bytes)
            except OSError:
                pass
            raise StoreWriteError(
                f"Could not write to {self.journal_path}: {exc.strerror or exc}. "
                f"Nothing was changed; free some disk space and try again."
            ) from exc
        self._journal_bytes += len(payload)
        self._dirty = True

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
        if self._journal_bytes >= self.compact_min_bytes and \
                self._journal_bytes >= self.compact_ratio * self._snapshot_bytes:
            self.compact()

    def compact(self) -> None:
        """Fold the journal into a new snapshot: temp file, fsync, atomic rename."""
        with self._mutex:
            new_generation = self._generation + 1
            tmp = self.snapshot_path.with_suffix(".json.tmp")
            payload = _dumps({"generation": new_generation, "max_ids": self._max_ids,
                              "tables": self._data}).encode("utf-8")
            try:
                with open(tmp, "wb") as fh:
                    fh.write(payload)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.snapshot_path)
                _fsync_dir(self.path)
            except OSError as exc:
                try:
                    tmp.unlink()
                except OSError:
                    pass
                # The journal still holds everything; compaction simply waits.
                raise StoreWriteError(
                    f"Could not compact {self.snapshot_path}: {exc.strerror or exc}. "
                    f"No data was lost; free some disk space."
                ) from exc
            self._generation = new_generation
            self._snapshot_bytes = len(payload)
            if self._journal_fd is not None:
                os.close(self._journal_fd)
            self._write_new_journal()
            self._journal_fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND)
            self._journal_bytes = os.fstat(self._journal_fd).st_size
            self._dirty = False


class JournalTable(Table):
    """A TinyDB table that changes documents in place and journals only what changed.

    TinyDB's `Table._update_table` rebuilds the whole table dict and hands the
    storage all of it on every change (~7 ms at 10,000 documents); here each
    write touches only its documents.  Reads and the query API are TinyDB's.
    """

    _storage: JournalStorage

    def __init__(self, storage: Storage, name: str, **kwargs: Any) -> None:
        super().__init__(storage, name, **kwargs)
        # A transaction's searches must not leave uncommitted results in the shared cache.
        self._storage._after_commit.append(self.clear_cache)

    def search(self, cond: QueryLike) -> list[Any]:
        if self._storage.in_transaction():
            return [self.document_class(doc, self.document_id_class(key))
                    for key, doc in self._read_table().items() if cond(doc)]
        return super().search(cond)

    def _live(self) -> dict[str, dict]:
        return self._storage.read().setdefault(self.name, {})  # type: ignore[union-attr]

    def _read_table(self) -> dict[str, Mapping]:
        return self._storage.read().get(self.name, {})  # type: ignore[union-attr]

    def _commit(self, put: Optional[dict[str, dict]] = None, delete: Iterable[str] = (),
                clear: bool = False) -> None:
        self._storage.append(self.name, put=put, delete=delete, clear=clear)
        self.clear_cache()

    def _get_next_id(self) -> int:
        if self._next_id is None:
            self._next_id = max(self._storage.max_id(self.name),
                                max((int(k) for k in self._read_table()), default=0)) + 1
        next_id = self._next_id
        self._next_id += 1
        return next_id

    def _update_table(self, updater: Callable[[dict[int, Mapping]], None]) -> None:
        # Only reached by TinyDB paths not overridden below (e.g. persist_empty).
        live = self._live()
        table = {self.document_id_class(k): v for k, v in live.items()}
        updater(table)
        self._commit(put={str(k): dict(v) for k, v in table.items()}, clear=True)

    def insert(self, document: Mapping) -> int:
        return self.insert_multiple([document])[0]

    def insert_multiple(self, documents: Iterable[Mapping]) -> list[int]:
        put: dict[str, dict] = {}
        ids: list[int] = []
        with self._storage._mutex:
            live = self._live()
            for document in documents:
                if not isinstance(document, Mapping):
                    raise ValueError("Document is not a Mapping")
                doc_id = getattr(document, "doc_id", None)
                if doc_id is not None and isinstance(document, self.document_class):
                    if str(doc_id) in live or str(doc_id) in put:
                        raise ValueError(f"Document with ID {doc_id} already exists")
                    self._next_id = None
                else:
                    doc_id = self._get_next_id()
                ids.append(doc_id)
                put[str(doc_id)] = dict(document)
            if put:
                self._commit(put=put)
        return ids

    def _matching_ids(self, cond: Optional[QueryLike], doc_ids: Optional[Iterable[int]]) -> list[str]:
        live = self._live()
        if doc_ids is not None:
            return [str(i) for i in doc_ids if str(i) in live]
        if cond is not None:
            return [k for k, doc in live.items() if cond(doc)]
        return list(live)

    def update(self, fields: Union[Mapping, Callable[[MutableMapping], None]],
               cond: Optional[QueryLike] = None, doc_ids: Optional[Iterable[int]] = None) -> list[int]:
        with self._storage._mutex:
            live = self._live()
            put: dict[str, dict] = {}
            for key in self._matching_ids(cond, doc_ids):
                doc = dict(live[key])
                if callable(fields):
                    fields(doc)
                else:
                    doc.update(fields)
                put[key] = doc
            if put:
                self._commit(put=put)
        return [self.document_id_class(k) for k in put]

    def update_multiple(self, updates: Iterable[tuple[Union[Mapping, Callable[[MutableMapping], None]], QueryLike]]) -> list[int]:
        with self._storage._mutex:
            live = self._live()
            put: dict[str, dict] = {}
            updates = list(updates)
            for key, original in live.items():
                doc = None
                for fields, cond in updates:
                    if cond(original if doc is None else doc):
                        doc = dict(original) if doc is None else doc
                        if callable(fields):
                            fields(doc)
                        else:
                            doc.update(fields)
                if doc is not None:
                    put[key] = doc
            if put:
                self._commit(put=put)
        return [self.document_id_class(k) for k in put]

    def remove(self, cond: Optional[QueryLike] = None, doc_ids: Optional[Iterable[int]] = None) -> list[int]:
        if cond is None and doc_ids is None:
            raise RuntimeError("Use truncate() to remove all documents")
        with self._storage._mutex:
            keys = self._matching_ids(cond, doc_ids)
            if keys:
                self._commit(delete=keys)
        return [self.document_id_class(k) for k in keys]

    def truncate(self) -> None:
        with self._storage._mutex:
            self._commit(clear=True)
            self._next_id = None


class JournalDB(TinyDB):
    """TinyDB over a `JournalStorage` folder with `JournalTable` tables."""

    table_class = JournalTable

    def __init__(self, path: Union[str, Path], **storage_kwargs: Any) -> None:
        super().__init__(path, storage=JournalStorage, **storage_kwargs)

    @property
    def journal(self) -> JournalStorage:
        return self.storage  # type: ignore[return-value]

    def transaction(self) -> Any:
        """`with db.transaction():` -- every change in the block is one journal line (see JournalStorage)."""
        return self.journal.transaction()
