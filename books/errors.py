"""Typed errors of book import and download.

Each one is a `core.errors.UserError`: the CLI prints its one sentence and exits 2,
the TUI shows it in a notification.  The sentence names the file and what to do.
"""

from __future__ import annotations

from core.errors import UserError


class BookError(UserError):
    """Anything wrong with a book the user asked to import, read or delete."""


class BookFormatError(BookError):
    """The file is not a book Interiority can read (binary, broken EPUB, unknown format)."""


class EmptyBookError(BookFormatError):
    """The file holds no text."""


class BookTooLargeError(BookFormatError):
    """The file is larger than the import limit."""


class UnsafeEpubError(BookFormatError):
    """The EPUB is hostile or malformed in a way that could harm the machine (XXE, zip bomb, path escape)."""


class DuplicateBookError(BookError):
    """The same file (by sha256) is already in the library."""

    def __init__(self, message: str, existing_id: int) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class BookNotFoundError(BookError):
    """A book id that is not in the library, or a book whose files are missing."""


class GutenbergDownloadError(BookError):
    """A Project Gutenberg download failed (not found, network down, bad mirror)."""
