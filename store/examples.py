"""The generated examples aggregate."""

from __future__ import annotations

from collections import Counter

from store.records import Example
from store.repository import Repository


class ExampleRepository(Repository[Example]):
    record_class = Example

    def by_status(self, *statuses: str) -> list[Example]:
        wanted = set(statuses)
        return self.where(lambda d: d.get("status", "pending") in wanted)

    def for_passage(self, passage_id: int) -> list[Example]:
        return self.where_eq(passage_id=passage_id)

    def status_counts(self) -> Counter[str]:
        return Counter(d.get("status", "pending") for d in list(self.table._read_table().values()))

    def counts_by_book(self) -> dict[int, Counter[str]]:
        """Per book: examples by status (for the library's columns)."""
        out: dict[int, Counter[str]] = {}
        for doc in list(self.table._read_table().values()):
            out.setdefault(int(doc.get("book_id", 0)), Counter())[doc.get("status", "pending")] += 1
        return out
