"""Encodings, line endings, refused files, and Gutenberg wrapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from books.decoding import decode_text, read_book_bytes
from books.errors import BookFormatError, BookTooLargeError, EmptyBookError
from books.gutenberg import strip_gutenberg
from books.reader import parse_book_file


def test_utf8_with_and_without_bom() -> None:
    assert decode_text("Fräulein “x”".encode()) == ("Fräulein “x”", "utf-8")
    assert decode_text(b"\xef\xbb\xbf" + "Fräulein".encode()) == ("Fräulein", "utf-8-sig")


def test_cp1252_and_latin1_without_mojibake() -> None:
    assert decode_text("“café” — naïve".encode("cp1252")) == ("“café” — naïve", "cp1252")
    assert decode_text("café naïve".encode("latin-1")) == ("café naïve", "latin-1")
    # One of cp1252's five undefined bytes does not break the decode.
    assert decode_text(b"\x93a\x81b\x94") == ("“a\x81b”", "cp1252")


def test_line_endings_normalized() -> None:
    assert decode_text(b"a\r\nb\rc\nd")[0] == "a\nb\nc\nd"


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"%PDF-1.4\x00\x01\x02",
                                  bytes(range(1, 9)) * 50 + b"text"])
def test_binary_refused(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "book.txt"
    path.write_bytes(data)
    with pytest.raises(BookFormatError, match="binary file"):
        parse_book_file(path)


def test_empty_blank_missing_and_folder_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(EmptyBookError, match="empty"):
        parse_book_file(empty)
    blank = tmp_path / "blank.txt"
    blank.write_bytes(b"  \r\n\n\t\n")
    with pytest.raises(EmptyBookError, match="blank"):
        parse_book_file(blank)
    with pytest.raises(BookFormatError, match="No file at"):
        parse_book_file(tmp_path / "missing.txt")
    with pytest.raises(BookFormatError, match="folder"):
        read_book_bytes(tmp_path)


def test_huge_file_refused_without_reading(tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as handle:  # sparse: 51 MB on paper, nothing on disk
        handle.truncate(51 * 1024 * 1024)
    with pytest.raises(BookTooLargeError, match="over the 50 MB limit"):
        parse_book_file(huge)


def test_gutenberg_only_license_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "pg.txt"
    path.write_text("Title: X\n\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\n\n"
                    "*** END OF THE PROJECT GUTENBERG EBOOK X ***\nlicense\n", encoding="utf-8")
    with pytest.raises(EmptyBookError, match="no book text"):
        parse_book_file(path)


@pytest.mark.parametrize("start,end", [
    ("*** START OF THE PROJECT GUTENBERG EBOOK MY BOOK ***", "*** END OF THE PROJECT GUTENBERG EBOOK MY BOOK ***"),
    ("*** START OF THIS PROJECT GUTENBERG EBOOK MY BOOK ***", "*** END OF THIS PROJECT GUTENBERG EBOOK MY BOOK ***"),
    ("***START OF THE PROJECT GUTENBERG EBOOK MY BOOK***", "***END OF THE PROJECT GUTENBERG EBOOK MY BOOK***"),
])
def test_gutenberg_markers(start: str, end: str) -> None:
    text = (f"The Project Gutenberg eBook of My Book\n\nTitle: My Book\n\nAuthor: Jane Roe\n\n"
            f"Release Date: 2001 [eBook #1234]\n\n{start}\n\nProduced by Someone\n\n\nThe book text.\n\n"
            f"End of the Project Gutenberg EBook of My Book\n\n{end}\n\nSection 1. General Terms of Use\n")
    result = strip_gutenberg(text)
    assert (result.kind, result.title, result.author, result.number) == ("gutenberg", "My Book", "Jane Roe", 1234)
    assert result.body.strip() == "The book text."


def test_plain_text_is_left_alone_and_titled_from_its_name(tmp_path: Path) -> None:
    path = tmp_path / "my_notes.txt"
    path.write_text("First paragraph\nwrapped here.\n\n\nSecond   one.\n", encoding="cp1252")
    parsed = parse_book_file(path)
    assert (parsed.source_kind, parsed.title, parsed.author) == ("text", "My notes", "")
    assert parsed.text.text == "First paragraph wrapped here.\n\nSecond one."


def test_pga_header_and_closing_lines_removed() -> None:
    text = ("\n\nProject Gutenberg Australia\n\nTitle:      A Book (1925)\nAuthor:     A. Writer\n\n"
            "Licence text here.\n\n-----\n\nA Project Gutenberg of Australia eBook\n\nTitle:      A Book\n"
            "Author:     A. Writer\n\n\n\nIt began.\n\nTHE END\n\n\n\nProject Gutenberg Australia\n\n")
    result = strip_gutenberg(text)
    assert (result.kind, result.title, result.author) == ("pga", "A Book", "A. Writer")
    assert result.body.split() == ["It", "began.", "THE", "END"]
