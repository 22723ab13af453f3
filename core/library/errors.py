"""Typed errors of the project's library: a sentence that names the book or file and the fix.

The parsers in `books/` raise `books.errors.BookError`s, which know nothing of the project;
`BookRefusedError` carries one of them across into the core's `UserError` family, so the
command line and the studio print its sentence without knowing about `books/`.
"""

from __future__ import annotations

from books.errors import BookError
from core.errors import UserError


class LibraryError(UserError):
    """Anything wrong with a book the user asked to import, open or delete."""


class BookRefusedError(LibraryError):
    """The file could not be read as a book; `reason` is the parser's typed error."""

    def __init__(self, reason: BookError) -> None:
        super().__init__(str(reason))
        self.reason = reason


class DuplicateBookError(LibraryError):
    """The same file (by sha256) is already in the library."""

    def __init__(self, message: str, existing_id: int) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class BookNotFoundError(LibraryError):
    """A book id that is not in the library, or a book whose files are missing or unsafe."""


class LibraryWriteError(LibraryError):
    """The library folder cannot be written (disk full, read-only, permissions)."""


class NotTextError(LibraryError):
    """A typed value (a note, a tag, a group name) holds bytes that are not UTF-8 text."""
