"""One book file in, a normalized `BookText` and its metadata out; no project, no database.

Dispatch is by content, not extension: a ZIP is read as EPUB, anything else as text
(Gutenberg wrapping stripped when present).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from books.decoding import check_not_binary, check_size, decode_text, read_book_bytes
from books.epub import read_epub
from books.errors import EmptyBookError
from books.gutenberg import strip_gutenberg
from books.model import BookText
from books.structure import build_book_text, text_blocks


@dataclass
class ParsedBook:
    text: BookText
    title: str
    author: str
    source_kind: str  # text | gutenberg | epub
    encoding: str
    sha256: str
    gutenberg_number: Optional[int] = None


def _title_from_name(path: Path) -> str:
    stem = re.sub(r"[_\-]+", " ", path.stem).strip()
    return stem[:1].upper() + stem[1:] if stem else "Untitled"


def parse_book_bytes(data: bytes, name: str, path: Optional[Path] = None) -> ParsedBook:
    """Parse a book held in memory (`name` appears in error messages).

    Raises only `books.errors.BookError`s: any bytes give a `ParsedBook` or a sentence.
    """
    check_size(len(data), name)
    digest = hashlib.sha256(data).hexdigest()
    if data.startswith(b"PK\x03\x04"):
        epub = read_epub(data, name)
        text = build_book_text(epub.blocks)
        if not text.paragraphs:
            raise EmptyBookError(f"{name} holds no readable text in its chapters; try a plain-text edition.")
        return ParsedBook(text=text, title=epub.title or (_title_from_name(path) if path else name),
                          author=epub.author, source_kind="epub", encoding="utf-8", sha256=digest,
                          gutenberg_number=epub.gutenberg_number)
    check_not_binary(data, name)
    decoded, encoding = decode_text(data, name)
    wrapped = strip_gutenberg(decoded)
    text = build_book_text(text_blocks(wrapped.body))
    if not text.paragraphs:
        raise EmptyBookError(f"{name} holds no book text once the Project Gutenberg header and license are "
                             f"removed; check that it is the whole book.")
    title = wrapped.title or (_title_from_name(path) if path else name)
    return ParsedBook(text=text, title=title, author=wrapped.author,
                      source_kind="gutenberg" if wrapped.kind else "text", encoding=encoding, sha256=digest,
                      gutenberg_number=wrapped.number)


def parse_book_file(path: Path) -> ParsedBook:
    """Read and parse a .txt or .epub file, refusing empty, binary and oversized files."""
    path = Path(path)
    return parse_book_bytes(read_book_bytes(path), path.name, path)
