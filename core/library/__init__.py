"""The project's library: import, list, open and delete books (core use cases over `books/` and `store/`).

`books/` parses files and knows nothing of projects; this package puts parsed books into a
project (`importing`), reads them back (`files`), deletes them (`deleting`) and lists them
(`rows`).  The command line and the studio call these same functions.
"""

from core.library.deleting import DeletedBook, delete_book, get_book
from core.library.errors import (BookNotFoundError, BookRefusedError, DuplicateBookError, LibraryError,
                                 LibraryWriteError, NotTextError)
from core.library.files import book_paths, clear_text_cache, load_book_text
from core.library.importing import import_book, import_gutenberg
from core.library.rows import BookRow, book_outline, book_row, book_rows, human_size

__all__ = [
    "DeletedBook", "delete_book", "get_book", "BookNotFoundError", "BookRefusedError", "DuplicateBookError",
    "LibraryError", "LibraryWriteError", "NotTextError", "book_paths", "clear_text_cache", "load_book_text",
    "import_book", "import_gutenberg", "BookRow", "book_outline", "book_row", "book_rows", "human_size",
]
