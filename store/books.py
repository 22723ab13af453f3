"""The books aggregate."""

from __future__ import annotations

from typing import Optional

from store.records import Book
from store.repository import Repository


class BookRepository(Repository[Book]):
    record_class = Book

    def by_sha256(self, sha256: str) -> Optional[Book]:
        found = self.where_eq(sha256=sha256)
        return found[0] if found else None

    def set_position(self, book_id: int, paragraph: int, char: int) -> None:
        self.update(book_id, position=[int(paragraph), int(char)])
