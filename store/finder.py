"""Dismissed suggestions: paragraphs the reader was shown by the finder and waved away.

Why a record of their own: a dismissal is not a passage (nothing was highlighted, no text is
kept) but it is a verdict -- "not valuable" -- that the finder's learner trains on and that
keeps the paragraph out of later suggestions.  One document per dismissed span.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from store.records import Record
from store.repository import Repository


@dataclass
class Dismissal(Record):
    """The finder suggested paragraph `paragraph` (`[start, end)` of book `book_id`) and it was dismissed."""

    table: ClassVar[str] = "dismissals"
    book_id: int = 0
    paragraph: int = 0
    start: int = 0
    end: int = 0


class DismissalRepository(Repository[Dismissal]):
    record_class = Dismissal

    def for_book(self, book_id: int) -> list[Dismissal]:
        """The book's dismissals in reading order."""
        return sorted(self.where_eq(book_id=int(book_id)), key=lambda d: (d.start, d.end))

    def dismiss(self, book_id: int, paragraph: int, start: int, end: int) -> Dismissal:
        """Record a dismissal once: dismissing the same span again returns the stored one."""
        found = self.where_eq(book_id=int(book_id), start=int(start), end=int(end))
        if found:
            return found[0]
        return self.add(Dismissal(book_id=int(book_id), paragraph=int(paragraph), start=int(start), end=int(end)))

    def undismiss(self, book_id: int, start: int, end: int) -> int:
        """Forget the dismissal of a span (an undo); returns how many were removed."""
        ids = [d.id for d in self.where_eq(book_id=int(book_id), start=int(start), end=int(end))]
        self.delete_many(ids)
        return len(ids)

    def delete_for_book(self, book_id: int) -> list[int]:
        ids = [d.id for d in self.where_eq(book_id=int(book_id))]
        self.delete_many(ids)
        return ids
