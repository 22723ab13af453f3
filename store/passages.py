"""The passages aggregate: highlighted spans with their tagging."""

from __future__ import annotations

from collections import Counter
from typing import Callable, Optional

from store.records import Passage
from store.repository import Repository


class PassageRepository(Repository[Passage]):
    record_class = Passage

    def for_book(self, book_id: int) -> list[Passage]:
        """The book's passages in reading order."""
        return sorted(self.where_eq(book_id=book_id), key=lambda p: (p.start, p.end))

    def find_duplicate(self, book_id: int, start: int, end: int, text_key: Callable[[str], str], text: str,
                       ignore: int = 0) -> Optional[Passage]:
        """A passage of the book with the span `[start, end)` or the same text under `text_key`, else None.

        WHY here: the reader and the CLI add passages through `core.passages.create_passage`, which asks
        this before storing; reading the raw documents keeps it fast on a book with thousands of passages.
        `ignore` is the passage being resized, which may keep its own span.
        """
        wanted = text_key(text)
        for doc_id, doc in list(self.table._read_table().items()):
            if int(doc_id) == ignore or int(doc.get("book_id", 0)) != int(book_id):
                continue
            same_span = int(doc.get("start", -1)) == int(start) and int(doc.get("end", -1)) == int(end)
            if same_span or (wanted and text_key(str(doc.get("text", ""))) == wanted):
                return self.find(int(doc_id))
        return None

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
