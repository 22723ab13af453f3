"""A typed repository over one journal table: records in, records out."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Callable, Generic, Iterable, Iterator, Mapping, Optional, TypeVar

from store.journal import JournalDB, JournalTable
from store.records import Record, now

R = TypeVar("R", bound=Record)


class NotFoundError(LookupError):
    """A record id that does not exist; the message names it."""


class Repository(Generic[R]):
    """CRUD for one record type.  Subclasses add the queries their aggregate needs."""

    record_class: type[R]

    def __init__(self, db: JournalDB) -> None:
        self.db = db
        self.table: JournalTable = db.table(self.record_class.table)  # type: ignore[assignment]

    def add(self, record: R) -> R:
        record.created = record.updated = now()
        record.id = self.table.insert(record.to_doc())
        return record

    def add_many(self, records: list[R]) -> list[R]:
        stamp = now()
        for record in records:
            record.created = record.updated = stamp
        ids = self.table.insert_multiple([r.to_doc() for r in records])
        for record, doc_id in zip(records, ids):
            record.id = doc_id
        return records

    def get(self, record_id: int) -> R:
        doc = self.table._read_table().get(str(record_id))
        if doc is None:
            raise NotFoundError(f"No {self.record_class.__name__.lower()} with id {record_id}.")
        return self.record_class.from_doc(doc, record_id)

    def find(self, record_id: int) -> Optional[R]:
        try:
            return self.get(record_id)
        except NotFoundError:
            return None

    def save(self, record: R) -> R:
        """Write the whole record back (it must exist)."""
        if not record.id or str(record.id) not in self.table._read_table():
            raise NotFoundError(f"No {self.record_class.__name__.lower()} with id {record.id}.")
        record.updated = now()
        self.table.update(record.to_doc(), doc_ids=[record.id])
        return record

    def update(self, record_id: int, **fields: Any) -> R:
        """Change some fields of one record durably and return the new record."""
        if str(record_id) not in self.table._read_table():
            raise NotFoundError(f"No {self.record_class.__name__.lower()} with id {record_id}.")
        fields["updated"] = now()
        self.table.update(fields, doc_ids=[record_id])
        return self.get(record_id)

    def delete(self, record_id: int) -> None:
        self.table.remove(doc_ids=[record_id])

    def delete_many(self, record_ids: Iterable[int]) -> None:
        ids = list(record_ids)
        if ids:
            self.table.remove(doc_ids=ids)

    def all(self) -> list[R]:
        return list(self)

    def __iter__(self) -> Iterator[R]:
        cls = self.record_class
        for key, doc in list(self.table._read_table().items()):
            yield cls.from_doc(doc, int(key))

    def __len__(self) -> int:
        return len(self.table._read_table())

    def where(self, predicate: Callable[[Mapping[str, Any]], bool]) -> list[R]:
        """Records whose raw document satisfies `predicate` (no conversion for the rest)."""
        cls = self.record_class
        return [cls.from_doc(doc, int(key)) for key, doc in list(self.table._read_table().items())
                if predicate(doc)]

    def where_eq(self, **equal: Any) -> list[R]:
        return self.where(lambda d: all(d.get(k) == v for k, v in equal.items()))

    def count(self, predicate: Optional[Callable[[Mapping[str, Any]], bool]] = None) -> int:
        docs = self.table._read_table().values()
        if predicate is None:
            return len(docs)
        return sum(1 for d in list(docs) if predicate(d))

    # -- bulk changes and read-only fast paths (so nothing outside store/ needs `.table`) --------
    def update_many(self, record_ids: Iterable[int], **fields: Any) -> list[int]:
        """Set the same fields on many records in ONE journal line; returns the ids changed.

        Ids that do not exist (deleted meanwhile) are skipped rather than failing the batch:
        a bulk status change (cancel, retry) applies to what is there.
        """
        ids = [int(i) for i in record_ids]
        if not ids:
            return []
        fields["updated"] = now()
        return [int(i) for i in self.table.update(fields, doc_ids=ids)]

    def update_where(self, predicate: Callable[[Mapping[str, Any]], bool], **fields: Any) -> list[int]:
        """Set fields on every record whose document satisfies `predicate`, in one journal line."""
        fields["updated"] = now()
        return [int(i) for i in self.table.update(fields, cond=predicate)]

    def scan(self, predicate: Optional[Callable[[Mapping[str, Any]], bool]] = None,
             ) -> Iterator[tuple[int, Mapping[str, Any]]]:
        """Hot-path read: `(id, document)` pairs as read-only views, without building records.

        Why: building a dataclass per document (`from_doc` copies every list) is what made
        callers reach into `.table`; this is as fast as the raw dict and cannot change the
        store.  The views are live: read what you need while iterating, do not keep them,
        and never mutate nested lists or dicts (use `update`/`save`).  The iteration runs over
        a snapshot of the ids, so concurrent writes do not break it.
        """
        for key, doc in list(self.table._read_table().items()):
            if predicate is None or predicate(doc):
                yield int(key), MappingProxyType(doc)

    def view(self, record_id: int) -> Optional[Mapping[str, Any]]:
        """One document as a read-only view (or None): the cheap `get` for hot paths."""
        doc = self.table._read_table().get(str(record_id))
        return None if doc is None else MappingProxyType(doc)
