"""Import a book file (or a Project Gutenberg number) into the project's library: one use case.

`interiority import` and the Library screen both call `import_book` / `import_gutenberg`.
The parsers in `books/` turn bytes into a `BookText`; this module stores it.  Import never
leaves half a book: the two files are written and fsynced under `.import-*.tmp` names, renamed
to their final names, and only then is the record written, in one journal line that already
names them; a failure at any step (a full disk included) removes whatever was written and
says so in one sentence.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

from books.errors import BookError
from core.library.errors import BookRefusedError, DuplicateBookError
from core.library.files import library_file, remove_quietly, write_error, write_temp
from core.library.text import displayable, require_text
from core.project import Project
from store.database import Database
from store.records import Book

if TYPE_CHECKING:
    from books.reader import ParsedBook


def slugify(title: str, limit: int = 40) -> str:
    """A file-name-safe, readable form of a title ("War and Peace" -> "war-and-peace")."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:limit].rstrip("-") or "book"


def parse_for_import(path: Path) -> "ParsedBook":
    """The parsed book, with the parser's refusal turned into a `BookRefusedError`."""
    from books.reader import parse_book_file  # the EPUB reader brings defusedxml: only when importing

    try:
        return parse_book_file(path)
    except BookError as exc:
        raise BookRefusedError(exc) from None


def import_book(project: Project, db: Database, path: Union[str, Path], *, group: Optional[str] = None,
                source_kind: Optional[str] = None, gutenberg_number: Optional[int] = None) -> Book:
    """Import a .txt or .epub file into the project's library and return its record.

    Raises `BookRefusedError` (unreadable or hostile file), `DuplicateBookError` (the same
    bytes are already imported), `LibraryWriteError` (disk full, read-only folder) or
    `NotTextError` (a group name that is not text); each carries a sentence for the user.
    """
    if group is not None:
        group = require_text(group, "group name")
    path = Path(path).expanduser()
    parsed = parse_for_import(path)
    return store_parsed(project, db, parsed, path, group=group, source_kind=source_kind,
                        gutenberg_number=gutenberg_number)


def store_parsed(project: Project, db: Database, parsed: "ParsedBook", path: Path, *, group: Optional[str] = None,
                 source_kind: Optional[str] = None, gutenberg_number: Optional[int] = None) -> Book:
    """Write a parsed book's files and its record (see the module docstring for the order)."""
    existing = db.books.by_sha256(parsed.sha256)
    if existing is not None:
        raise DuplicateBookError(
            f"{displayable(path.name)} is already in the library as book {existing.id} ({existing.title}); "
            f"delete that book first to import it again.", existing.id)
    library = project.library
    title = displayable(parsed.title)
    stem = f"{parsed.sha256[:16]}-{slugify(title)}"
    text_path, index_path = library_file(project, f"{stem}.txt"), library_file(project, f"{stem}.json")
    book_text = parsed.text
    written: list[Path] = []
    try:
        try:
            library.mkdir(parents=True, exist_ok=True)
            text_temp = write_temp(library, book_text.text.encode("utf-8"))
            written.append(text_temp)
            index = json.dumps(book_text.index_doc(), ensure_ascii=False, separators=(",", ":"))
            index_temp = write_temp(library, index.encode("utf-8"))
            written.append(index_temp)
            os.replace(text_temp, text_path)
            written[0] = text_path
            os.replace(index_temp, index_path)
            written[1] = index_path
        except OSError as exc:
            raise write_error(library, exc) from None
        return db.books.add(Book(
            title=title, author=displayable(parsed.author),
            group=(group or "").strip() or displayable(parsed.author) or title,
            source_kind=source_kind or parsed.source_kind, source_path=displayable(str(path.resolve())),
            gutenberg_number=gutenberg_number if gutenberg_number is not None else parsed.gutenberg_number,
            sha256=parsed.sha256, text_file=text_path.name, index_file=index_path.name,
            chars=len(book_text.text), paragraph_count=len(book_text.paragraphs),
            chapter_count=len(book_text.chapters), part_count=len(book_text.parts), encoding=parsed.encoding,
        ))
    except BaseException:
        remove_quietly(*written)
        raise


def import_gutenberg(project: Project, db: Database, number: int, *, base_url: Optional[str] = None,
                     cache_dir: Optional[Union[str, Path]] = None, group: Optional[str] = None) -> Book:
    """Download Project Gutenberg book `number` (or take it from the cache) and import it."""
    from books.download import download_gutenberg  # urllib and ssl: only when a download is asked for

    try:
        path = download_gutenberg(number, base_url=base_url, cache_dir=cache_dir)
    except BookError as exc:
        raise BookRefusedError(exc) from None
    return import_book(project, db, path, group=group, source_kind="gutenberg", gutenberg_number=int(number))
