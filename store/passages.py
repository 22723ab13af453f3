"""The passages aggregate: highlighted spans with their tagging."""

from __future__ import annotations

from collections import Counter

from store.records import Passage
from store.repository import Repository


class PassageRepository(Repository[Passage]):
    record_class = Passage

    def for_book(self, book_id: int) -> list[Passage]:
        """The book's passages in reading order."""
        return sorted(self.where_eq(book_id=book_id), key=lambda p: (p.start, p.end))

    def delete_for_book(self, book_id: int) -> list[int]:
        ids = [p.id for p in self.where_eq(book_id=book_id)]
        self.delete_many(ids)
        return ids

    def tag_counts(self) -> Counter[str]:
        """How often each tag is used, for completion ranked by use."""
        counts: Counter[str] = Counter()
        for doc in list(self.table._read_table().values()):
            counts.update(doc.get("tags") or [])
        return counts

    def counts_by_book(self) -> dict[int, int]:
        """How many passages each book has (the library's column), without building records."""
        counts: Counter[int] = Counter()
        for doc in list(self.table._read_table().values()):
            counts[int(doc.get("book_id", 0))] += 1
        return dict(counts)
