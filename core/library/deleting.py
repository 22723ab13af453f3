"""Delete a book with its passages and its library files: one use case for `delete-book` and the studio.

The file names come from the book's record, which anyone can edit; a name that is not a plain
file name inside `project.library` (an absolute path, `../../victim.json`, a symlink out) is left
alone and reported, never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.library.errors import BookNotFoundError
from core.library.files import forget_cached, library_file, remove_quietly
from core.paths import UnsafePathError
from core.project import Project
from store.database import Database
from store.records import Book


@dataclass
class DeletedBook:
    """What `delete_book` did: the record it removed, how many passages went with it, which files."""

    book: Book
    passages: int
    removed_files: list[str] = field(default_factory=list)
    refused_files: list[str] = field(default_factory=list)  # names outside the library: left alone

    def sentence(self) -> str:
        """What happened, in one or two sentences for the command line and the studio."""
        said = (f"Deleted book {self.book.id}: {self.book.title} with {self.passages} "
                f"passage{'s' if self.passages != 1 else ''}.")
        if self.refused_files:
            names = ", ".join(repr(name) for name in self.refused_files)
            said += (f" Its record named files outside the library ({names}); they were left untouched, "
                     f"check them by hand.")
        return said


def get_book(db: Database, book_id: int) -> Book:
    """The book's record, or a `BookNotFoundError` that says how to list the books."""
    book = db.books.find(int(book_id))
    if book is None:
        raise BookNotFoundError(f"No book with id {book_id}; run `interiority books` to list them.")
    return book


def delete_book(project: Project, db: Database, book_id: int) -> DeletedBook:
    """Delete the book's passages, its record, then its library files (those inside the library only)."""
    book = get_book(db, book_id)
    with db.transaction():  # one journal line: a kill never leaves a book without its passages
        passages = db.passages.delete_for_book(book.id)
        db.books.delete(book.id)
    result = DeletedBook(book=book, passages=len(passages))
    for name in (book.text_file, book.index_file):
        if not name:
            continue
        try:
            path = library_file(project, name)
        except UnsafePathError:
            result.refused_files.append(name)
            continue
        forget_cached(path)
        remove_quietly(path)
        result.removed_files.append(name)
    return result
