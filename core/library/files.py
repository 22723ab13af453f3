"""A book's two files in `project.library`: where they are, how they are written, read and removed.

A book is `<stem>.txt` (the normalized UTF-8 text) and `<stem>.json` (the paragraph and chapter
index) beside its `Book` record.  Every name that reaches a path comes from the database, which a
user (or an attacker) can edit, so each one is checked with `core.paths` (`safe_name` and
`inside(project.library, name)`) before anything is read, written or deleted: a record naming
`/etc/passwd` or `../../victim.json` is refused, never followed.
"""

from __future__ import annotations

import errno
import json
import os
import threading
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Optional

from books.model import BookText
from core.library.errors import BookNotFoundError, LibraryWriteError
from core.paths import UnsafePathError, inside, safe_name
from core.project import Project
from store.records import Book

TEMP_PREFIX = ".import-"
_CACHE_SIZE = 4
_cache: "OrderedDict[tuple[str, int, int], BookText]" = OrderedDict()
_cache_lock = threading.Lock()


def library_file(project: Project, name: str) -> Path:
    """The path of library file `name`, refusing names that are not plain or that lead outside the library."""
    return inside(project.library, safe_name(name, "library file name"))


def write_temp(folder: Path, data: bytes) -> Path:
    """`data` written and fsynced under a fresh temporary name in `folder` (removed again if that fails)."""
    temp = inside(folder, f"{TEMP_PREFIX}{uuid.uuid4().hex}.tmp")
    try:
        with open(temp, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        remove_quietly(temp)
        raise
    return temp


def remove_quietly(*paths: Optional[Path]) -> None:
    """Remove files that may not exist (clean-up after a failed import must not raise)."""
    for path in paths:
        if path is not None:
            try:
                path.unlink()
            except OSError:
                pass


def write_error(library: Path, exc: OSError) -> LibraryWriteError:
    """One sentence for a write that failed in the library folder."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return LibraryWriteError(f"The disk holding {library} is full; free some space and import the book "
                                 f"again (nothing was added).")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return LibraryWriteError(f"Cannot write in {library} ({exc.strerror}); make the project folder writable "
                                 f"and import the book again (nothing was added).")
    return LibraryWriteError(f"Cannot write the book into {library} ({exc.strerror or exc}); nothing was added.")


def book_paths(project: Project, book: Book) -> tuple[Path, Path]:
    """The book's text and index paths, checked to lie inside the library."""
    if not book.text_file or not book.index_file:
        raise BookNotFoundError(f"Book {book.id} ({book.title}) has no text in the library; "
                                f"delete it and import it again.")
    try:
        return library_file(project, book.text_file), library_file(project, book.index_file)
    except UnsafePathError:
        raise BookNotFoundError(f"The record of book {book.id} ({book.title}) names files outside the library "
                                f"({book.text_file!r}, {book.index_file!r}); delete it and import it again.") from None


def load_book_text(project: Project, book: Book) -> BookText:
    """The book's normalized text and index, cached by path, modification time and size."""
    text_path, index_path = book_paths(project, book)
    try:
        stat = text_path.stat()
        key = (str(text_path), stat.st_mtime_ns, stat.st_size)
        with _cache_lock:
            cached = _cache.get(key)
            if cached is not None:
                _cache.move_to_end(key)
                return cached
        text = text_path.read_text(encoding="utf-8")
        book_text = BookText.from_index(text, json.loads(index_path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise BookNotFoundError(f"The library files of book {book.id} ({book.title}) are missing; "
                                f"delete it and import it again.") from None
    except (ValueError, KeyError, TypeError, IndexError) as exc:  # bad UTF-8, JSON or index shape
        raise BookNotFoundError(f"The library files of book {book.id} ({book.title}) are damaged "
                                f"({type(exc).__name__}); delete it and import it again.") from None
    except OSError as exc:
        raise BookNotFoundError(f"Cannot read the library files of book {book.id} ({book.title}): "
                                f"{exc.strerror or exc}.") from None
    with _cache_lock:
        _cache[key] = book_text
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return book_text


def forget_cached(path: Path) -> None:
    """Drop the cached text of `path` (its file is being deleted)."""
    with _cache_lock:
        for key in [k for k in _cache if k[0] == str(path)]:
            del _cache[key]


def clear_text_cache() -> None:
    """Forget every cached book text (benchmarks measure an uncached load)."""
    with _cache_lock:
        _cache.clear()
