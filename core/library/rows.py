"""The library as rows and a book as an outline: what `interiority books|book` and the Library screen show.

One function each, so the command line and the studio count passages and examples the same way.
Counting reads the passage and example tables once per call (repository counts, no records built).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

from core.library.deleting import get_book
from core.library.files import load_book_text
from core.project import Project
from store.database import Database
from store.records import Book


@dataclass(frozen=True)
class BookRow:
    """One book with its counts: the library list's columns."""

    id: int
    title: str
    author: str
    group: str
    chars: int
    parts: int
    chapters: int
    paragraphs: int
    passages: int
    examples: int
    accepted: int
    source_kind: str
    gutenberg_number: Optional[int]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def size(self) -> str:
        return human_size(self.chars)


def human_size(chars: int) -> str:
    """A book's length as a reader thinks of it: thousands of characters."""
    if chars >= 1_000_000:
        return f"{chars / 1_000_000:.1f}M chars"
    if chars >= 1_000:
        return f"{chars / 1_000:.0f}k chars"
    return f"{chars} chars"


def book_row(book: Book, passages: int = 0, examples: int = 0, accepted: int = 0) -> BookRow:
    """The row of one book given its counts (a freshly imported book has none)."""
    title = book.title or Path(book.source_path).name or f"Book {book.id}"
    return BookRow(id=book.id, title=title, author=book.author, group=book.group, chars=book.chars,
                   parts=book.part_count, chapters=book.chapter_count, paragraphs=book.paragraph_count,
                   passages=passages, examples=examples, accepted=accepted, source_kind=book.source_kind,
                   gutenberg_number=book.gutenberg_number)


def book_rows(db: Database) -> list[BookRow]:
    """Every book with its passage and example counts, by id."""
    passages = db.passages.counts_by_book()
    examples = db.examples.counts_by_book()
    rows = []
    for book in sorted(db.books, key=lambda b: b.id):
        statuses = examples.get(book.id)
        rows.append(book_row(book, passages.get(book.id, 0), sum(statuses.values()) if statuses else 0,
                             statuses.get("accepted", 0) if statuses else 0))
    return rows


def book_outline(project: Project, db: Database, book_id: int) -> dict[str, Any]:
    """A book's parts and chapters with their `[first, end)` paragraph ranges and character spans."""
    book = get_book(db, book_id)
    text = load_book_text(project, book)
    chapters = []
    for chapter, (first, end) in zip(text.chapters, text.chapter_ranges()):
        chapters.append({"title": chapter.title, "part": chapter.part, "paragraphs": [first, end],
                         "chars": [text.paragraphs[first][0], text.paragraphs[end - 1][1]]})
    return {"id": book.id, "title": book.title, "author": book.author, "chars": book.chars,
            "paragraphs": len(text.paragraphs), "parts": list(text.parts), "chapters": chapters}
