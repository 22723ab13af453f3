"""The project's library: import, load and delete books.

A book lives in two files in `project.library`: `<id>-<slug>.txt` (the normalized
UTF-8 text) and `<id>-<slug>.json` (the paragraph/chapter index), plus its `Book`
record.  Import never leaves half a book: the files are written under temporary
names, renamed only once the record exists, and removed if anything fails.
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any, Optional, Union

from books.errors import BookNotFoundError, DuplicateBookError
from books.model import BookText
from books.reader import ParsedBook, parse_book_file
from store.records import Book

_CACHE_SIZE = 4
_cache: "OrderedDict[tuple[str, int, int], BookText]" = OrderedDict()
_cache_lock = threading.Lock()


def slugify(title: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:limit].rstrip("-") or "book"


def _write_temp(folder: Path, content: str) -> Path:
    temp = folder / f".import-{uuid.uuid4().hex}.tmp"
    with open(temp, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    return temp


def _remove(*paths: Optional[Path]) -> None:
    for path in paths:
        if path is not None:
            try:
                path.unlink()
            except FileNotFoundError:
                pass


def import_book(project: Any, db: Any, path: Union[str, Path], *, group: Optional[str] = None,
                source_kind: Optional[str] = None, gutenberg_number: Optional[int] = None) -> Book:
    """Import a .txt or .epub file into the project's library and return its record.

    Raises a `BookError` subclass (with a sentence for the user) for unreadable files
    and `DuplicateBookError` when the same bytes are already imported.
    """
    path = Path(path).expanduser()
    parsed = parse_book_file(path)
    return _store_parsed(project, db, parsed, path, group=group, source_kind=source_kind,
                         gutenberg_number=gutenberg_number)


def _store_parsed(project: Any, db: Any, parsed: ParsedBook, path: Path, *, group: Optional[str],
                  source_kind: Optional[str], gutenberg_number: Optional[int]) -> Book:
    existing = db.books.by_sha256(parsed.sha256)
    if existing is not None:
        raise DuplicateBookError(
            f"{path.name} is already in the library as book {existing.id} ({existing.title}); "
            f"delete that book first to import it again.", existing.id)
    library: Path = project.library
    library.mkdir(parents=True, exist_ok=True)
    book_text = parsed.text
    text_temp = index_temp = None
    record: Optional[Book] = None
    try:
        text_temp = _write_temp(library, book_text.text)
        index_temp = _write_temp(library, json.dumps(book_text.index_doc(), ensure_ascii=False,
                                                     separators=(",", ":")))
        record = db.books.add(Book(
            title=parsed.title, author=parsed.author,
            group=(group or "").strip() or parsed.author or parsed.title,
            source_kind=source_kind or parsed.source_kind, source_path=str(path.resolve()),
            gutenberg_number=gutenberg_number if gutenberg_number is not None else parsed.gutenberg_number,
            sha256=parsed.sha256, chars=len(book_text.text), paragraph_count=len(book_text.paragraphs),
            chapter_count=len(book_text.chapters), part_count=len(book_text.parts), encoding=parsed.encoding,
        ))
        stem = f"{record.id}-{slugify(parsed.title)}"
        os.replace(text_temp, library / f"{stem}.txt")
        text_temp = library / f"{stem}.txt"
        os.replace(index_temp, library / f"{stem}.json")
        index_temp = library / f"{stem}.json"
        return db.books.update(record.id, text_file=f"{stem}.txt", index_file=f"{stem}.json")
    except BaseException:
        _remove(text_temp, index_temp)
        if record is not None and record.id:
            try:
                db.books.delete(record.id)
            except Exception:  # the original error matters more than a failed clean-up
                pass
        raise


def book_paths(project: Any, book: Book) -> tuple[Path, Path]:
    if not book.text_file or not book.index_file:
        raise BookNotFoundError(f"Book {book.id} ({book.title}) has no text in the library; "
                                f"delete it and import it again.")
    return project.library / book.text_file, project.library / book.index_file


def load_book_text(project: Any, book: Book) -> BookText:
    """The book's normalized text and index, cached by path and modification time."""
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
        doc = json.loads(index_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BookNotFoundError(f"The library files of book {book.id} ({book.title}) are missing; "
                                f"delete it and import it again.") from None
    except (ValueError, KeyError) as exc:
        raise BookNotFoundError(f"The index of book {book.id} ({book.title}) is damaged ({exc}); "
                                f"delete it and import it again.") from None
    book_text = BookText.from_index(text, doc)
    with _cache_lock:
        _cache[key] = book_text
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return book_text


def get_book(db: Any, book_id: int) -> Book:
    book = db.books.find(int(book_id))
    if book is None:
        raise BookNotFoundError(f"No book with id {book_id}; run `interiority books` to list them.")
    return book


def delete_book(project: Any, db: Any, book_id: int) -> None:
    """Delete the book, its passages and its library files."""
    book = get_book(db, book_id)
    db.passages.delete_for_book(book.id)
    db.books.delete(book.id)
    for name in (book.text_file, book.index_file):
        if name:
            path = project.library / name
            with _cache_lock:
                for key in [k for k in _cache if k[0] == str(path)]:
                    del _cache[key]
            _remove(path)


def import_gutenberg(project: Any, db: Any, number: int, *, base_url: Optional[str] = None,
                     cache_dir: Optional[Union[str, Path]] = None, group: Optional[str] = None) -> Book:
    """Download Project Gutenberg book `number` (or take it from the cache) and import it."""
    from books.download import download_gutenberg

    path = download_gutenberg(number, base_url=base_url, cache_dir=cache_dir)
    return import_book(project, db, path, group=group, source_kind="gutenberg", gutenberg_number=int(number))
