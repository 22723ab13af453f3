"""Typed errors of reading a book: the file, its encoding, its EPUB container, its download.

`books/` imports nothing of ours but this module, so these errors do not derive from
`core.errors.UserError`: the core use cases that call the parsers (`core.library`) turn
them into user errors at that boundary, keeping the sentence.  Each sentence names the
file and what to do.
"""

from __future__ import annotations


class BookError(Exception):
    """Anything wrong with a book file the user asked to read or download."""

    exit_code = 2


class BookFormatError(BookError):
    """The file is not a book Interiority can read (binary, broken EPUB, unknown format)."""


class EmptyBookError(BookFormatError):
    """The file holds no text."""


class BookTooLargeError(BookFormatError):
    """The file, or the text it decodes to, is larger than the import limit."""


class UnsafeEpubError(BookFormatError):
    """The EPUB is hostile or malformed in a way that could harm the machine (XXE, zip bomb, path escape)."""


class GutenbergDownloadError(BookError):
    """A Project Gutenberg download failed (not found, network down, bad mirror)."""
