"""Bytes to text: size limits, binary detection, encoding detection, line endings.

Why not `chardet`: the books people import are UTF-8 (with or without BOM) or
old Latin-1/cp1252 files.  Strict UTF-8 almost never succeeds on Latin-1 text
with accents, so "strict UTF-8, else cp1252" is exact for this corpus and needs
no statistics.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from books.errors import BookFormatError, BookTooLargeError, EmptyBookError

MAX_BOOK_BYTES = 50 * 1024 * 1024
MAX_TEXT_CHARS = 50_000_000  # the decoded text of a whole book (an EPUB's chapters together included)
SNIFF_BYTES = 64 * 1024
# Control bytes that never appear in text (tab, LF, VT, FF, CR and ESC excluded).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27))
# cp1252 leaves these five bytes undefined; latin-1 maps them to C1 controls.
_CP1252_UNDEFINED = {0x81: "\x81", 0x8D: "\x8d", 0x8F: "\x8f", 0x90: "\x90", 0x9D: "\x9d"}


def read_book_bytes(path: Path) -> bytes:
    """The file's bytes, refusing missing, empty and oversized files with a clear sentence."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise BookFormatError(f"No file at {path}; check the path and try again.") from None
    except OSError as exc:
        raise BookFormatError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if path.is_dir():
        raise BookFormatError(f"{path} is a folder; pass the path of a .txt or .epub file.")
    if size == 0:
        raise EmptyBookError(f"{path.name} is empty; choose a file that holds the book's text.")
    check_size(size, path.name)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BookFormatError(f"Cannot read {path}: {exc.strerror or exc}.") from None


def text_too_large(name: str) -> BookTooLargeError:
    """The sentence for a book whose text (not its file) is over the limit."""
    return BookTooLargeError(f"{name} holds more than {MAX_TEXT_CHARS:,} characters of text, over the limit "
                             f"for a book; split it or import a shorter edition.")


def check_size(size: int, name: str) -> None:
    """Refuse a file over `MAX_BOOK_BYTES` before reading (or parsing) it."""
    if size > MAX_BOOK_BYTES:
        raise BookTooLargeError(
            f"{name} is {size / 1e6:.1f} MB, over the 50 MB limit for a book; "
            f"split it or import a plain-text edition.")


def check_not_binary(data: bytes, name: str) -> None:
    """Refuse files with NUL bytes or many control bytes (images, PDFs, executables)."""
    sample = data[:SNIFF_BYTES]
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return  # UTF-16 text is full of NULs by design
    if b"\x00" in sample or (sample and len(sample) - len(sample.translate(None, _CONTROL)) > len(sample) // 100):
        kind = " (a PDF)" if sample.startswith(b"%PDF") else ""
        raise BookFormatError(
            f"{name} is a binary file{kind}, not text; import a .txt (UTF-8 or Latin-1) or .epub file.")


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):  # registered for decoding only
        raise error
    byte = error.object[error.start]
    return _CP1252_UNDEFINED.get(byte, "\ufffd"), error.start + 1


codecs.register_error("interiority-cp1252", _cp1252_fallback)


def decode_text(data: bytes, name: str = "the file") -> tuple[str, str]:
    """Decode book bytes and normalize line endings to LF.  Returns `(text, encoding)`."""
    check_not_binary(data, name)
    if data.startswith(codecs.BOM_UTF8):
        try:
            text, encoding = data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            text, encoding = data[3:].decode("cp1252", "interiority-cp1252"), "cp1252"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise BookFormatError(f"{name} says it is UTF-16 but is not; re-save it as UTF-8.") from None
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            # Bytes 0x80-0x9F are C1 controls in Latin-1 but quotes and dashes in cp1252:
            # only name the file cp1252 when it uses them.
            if any(0x80 <= b <= 0x9F for b in data):
                text, encoding = data.decode("cp1252", "interiority-cp1252"), "cp1252"
            else:
                text, encoding = data.decode("latin-1"), "latin-1"
    if len(text) > MAX_TEXT_CHARS:
        raise text_too_large(name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise EmptyBookError(f"{name} holds only blank space; choose a file that holds the book's text.")
    return text, encoding
