"""TinyDB over the crash-safe journal storage: tables that journal only what changed.

The storage itself (journal, snapshot, compaction, transactions) is `store.storage`; the file
format is `store.journal_format`; the errors are `store.errors`.  This module keeps the names
the rest of the program imports (`JournalDB`, `JOURNAL_NAME`, the errors).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, ContextManager, Iterable, Mapping, MutableMapping, Optional, Union

from tinydb import TinyDB
from tinydb.queries import QueryLike
from tinydb.storages import Storage
from tinydb.table import Document, Table

from store.errors import StoreCorruptError, StoreError, StoreLockedError, StoreWriteError
from store.readonly import ReadOnlyJournalStorage
from store.storage import JOURNAL_NAME, LOCK_NAME, SNAPSHOT_NAME, JournalStorage

Doc = dict[str, Any]
# What `update` takes: fields to set, or a function that changes the document in place.
Fields = Union[Mapping[str, Any], Callable[[MutableMapping[str, Any]], None]]
# What selects documents: a TinyDB query, or any predicate over the document.
Condition = Union[QueryLike, Callable[[Mapping[str, Any]], bool]]

__all__ = [
    "JOURNAL_NAME", "LOCK_NAME", "SNAPSHOT_NAME", "JournalDB", "JournalStorage", "JournalTable",
    "StoreCorruptError", "StoreError", "StoreLockedError", "StoreWriteError",
]


class JournalTable(Table):
    """A TinyDB table that changes documents in place and journals only what changed.

    TinyDB's `Table._update_table` rebuilds the whole table dict and hands the
    storage all of it on every change (~7 ms at 10,000 documents); here each
    write touches only its documents.  Reads and the query API are TinyDB's.
    """

    _storage: JournalStorage

    def __init__(self, storage: Storage, name: str, **kwargs: Any) -> None:
        self._next_free: Optional[int] = None  # TinyDB's `_next_id`, typed
        super().__init__(storage, name, **kwargs)
        # A transaction's searches must not leave uncommitted results in the shared cache.
        self._storage._after_commit.append(self.clear_cache)

    def search(self, cond: QueryLike) -> list[Any]:
        if self._storage.in_transaction():
            return [self.document_class(doc, self.document_id_class(key))
                    for key, doc in self._read_table().items() if cond(doc)]
        return super().search(cond)

    def _live(self) -> dict[str, Doc]:
        return self._storage.tables().setdefault(self.name, {})

    def _read_table(self) -> dict[str, Mapping[str, Any]]:
        return self._storage.tables().get(self.name, {})  # type: ignore[return-value]

    def _commit(self, put: Optional[dict[str, Doc]] = None, delete: Iterable[str] = (),
                clear: bool = False) -> None:
        self._storage.append(self.name, put=put, delete=delete, clear=clear)
        self.clear_cache()

    def _get_next_id(self) -> int:
        if self._next_free is None:
            self._next_free = max(self._storage.max_id(self.name),
                                  max((int(k) for k in self._read_table()), default=0)) + 1
        next_id = self._next_free
        self._next_free += 1
        return next_id

    def _update_table(self, updater: Callable[[dict[int, Mapping[str, Any]]], None]) -> None:
        # Only reached by TinyDB paths not overridden below (e.g. persist_empty).
        live = self._live()
        table: dict[int, Mapping[str, Any]] = {self.document_id_class(k): v for k, v in live.items()}
        updater(table)
        self._commit(put={str(k): dict(v) for k, v in table.items()}, clear=True)

    def insert(self, document: Mapping[str, Any]) -> int:
        return self.insert_multiple([document])[0]

    def insert_multiple(self, documents: Iterable[Mapping[str, Any]]) -> list[int]:
        put: dict[str, Doc] = {}
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
                    self._next_free = None
                else:
                    doc_id = self._get_next_id()
                ids.append(int(doc_id))
                put[str(doc_id)] = dict(document)
            if put:
                self._commit(put=put)
        return ids

    def _matching_ids(self, cond: Optional[Condition], doc_ids: Optional[Iterable[int]]) -> list[str]:
        live = self._live()
        if doc_ids is not None:
            return [str(i) for i in doc_ids if str(i) in live]
        if cond is not None:
            return [k for k, doc in live.items() if cond(doc)]
        return list(live)

    def update(self, fields: Fields, cond: Optional[Condition] = None,
               doc_ids: Optional[Iterable[int]] = None) -> list[int]:
        with self._storage._mutex:
            live = self._live()
            put: dict[str, Doc] = {}
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

    def update_multiple(self, updates: Iterable[tuple[Fields, QueryLike]]) -> list[int]:
        with self._storage._mutex:
            live = self._live()
            put: dict[str, Doc] = {}
            changes = list(updates)
            for key, original in live.items():
                doc: Optional[Doc] = None
                for fields, cond in changes:
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
            self._next_free = None


class JournalDB(TinyDB):
    """TinyDB over a `JournalStorage` folder with `JournalTable` tables.

    `read_only=True` reads the folder without its lock and refuses every write
    (`store.readonly`): for commands that only look while the studio writes.
    """

    table_class = JournalTable  # type: ignore[assignment]

    def __init__(self, path: Union[str, Path], read_only: bool = False, **storage_kwargs: Any) -> None:
        storage = ReadOnlyJournalStorage if read_only else JournalStorage
        super().__init__(path, storage=storage, **storage_kwargs)

    @property
    def journal(self) -> JournalStorage:
        return self.storage  # type: ignore[return-value]

    def transaction(self) -> ContextManager[None]:
        """`with db.transaction():` -- every change in the block is one journal line (see JournalStorage)."""
        return self.journal.transaction()
