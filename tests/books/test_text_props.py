"""Property tests of the text parsers: decoding, Gutenberg stripping, structure and the paragraph index.

Book files are outside input: any bytes decode to text or give a `BookFormatError`; the
Gutenberg stripper returns a slice of its input; the structure's paragraph offsets index the
normalized text exactly (every passage is a `(book, start, end)` span of it), and the index
survives its round trip through JSON.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from books.decoding import decode_text
from books.errors import BookError, BookFormatError
from books.gutenberg import strip_gutenberg
from books.model import BookText
from books.reader import parse_book_bytes
from books.structure import build_book_text, text_blocks

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Lines a book is made of: headings of every kind the structure knows, Gutenberg markers, prose, breaks.
_LINES = st.one_of(
    st.sampled_from([
        "CHAPTER I", "CHAPTER II", "Chapter 3", "CHAPTER IIII", "PART ONE", "BOOK TWO: 1805", "FIRST EPILOGUE",
        "— I —", "I", "II", "III.", "[ 1 ]", "[ 2 ]", "Contents", "CONTENTS", "THE END", "OVERTURE", "* * *",
        "*** START OF THE PROJECT GUTENBERG EBOOK X ***", "*** END OF THE PROJECT GUTENBERG EBOOK X ***",
        "***START OF THIS PROJECT GUTENBERG EBOOK***", "Title: A Book", "Author: Some One", "  continued",
        "Release Date: 2020 [eBook #12]", "End of the Project Gutenberg EBook of X",
        "Project Gutenberg of Australia", "Produced by Volunteers", "", "", "", " ", "\t", "\x00", "\x0b", "\r",
    ]),
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=30),
)
_books = st.lists(_LINES, max_size=60).map("\n".join)


@PROPERTY_SETTINGS
@given(data=st.binary(max_size=400))
def test_any_bytes_decode_to_text_or_a_sentence(data: bytes) -> None:
    try:
        text, encoding = decode_text(data, "random.txt")
    except BookFormatError as exc:
        assert str(exc).startswith("random.txt")
        return
    assert text.strip() and "\r" not in text
    text.encode("utf-8")  # storable: no lone surrogates
    assert encoding in {"utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"}


@PROPERTY_SETTINGS
@given(data=st.one_of(st.binary(max_size=400), _books.map(lambda b: b.encode("utf-8")),
                      _books.map(lambda b: b.encode("cp1252", "replace")),
                      _books.map(lambda b: b.encode("utf-16"))))
def test_any_bytes_parse_to_a_book_or_a_sentence(data: bytes) -> None:
    try:
        parsed = parse_book_bytes(data, "random.txt")
    except BookError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    text = parsed.text
    assert text.paragraphs and text.text == "\n\n".join(text.paragraph_text(i) for i in range(len(text.paragraphs)))
    (parsed.title + parsed.author).encode("utf-8")


@PROPERTY_SETTINGS
@given(book=_books)
def test_gutenberg_stripping_returns_a_slice_of_the_text(book: str) -> None:
    wrapped = strip_gutenberg(book)
    assert wrapped.body in book
    assert wrapped.kind in {"gutenberg", "pga", ""}
    if wrapped.kind == "":
        assert wrapped.body == book
    assert wrapped.number is None or wrapped.number >= 0
    assert "\n" not in wrapped.title and "\n" not in wrapped.author


@PROPERTY_SETTINGS
@given(book=_books)
def test_paragraph_offsets_index_the_text_exactly(book: str) -> None:
    text = build_book_text(text_blocks(book))
    pieces = [text.text[start:end] for start, end in text.paragraphs]
    assert text.text == "\n\n".join(pieces)
    assert all(piece and piece == " ".join(piece.split()) for piece in pieces)  # normalized, never empty
    assert bool(pieces) == bool(book.split())  # any visible character makes a paragraph
    for index, (start, end) in enumerate(text.paragraphs):
        assert text.paragraph_at(start) == index and text.paragraph_at(end - 1) == index
    starts = [chapter.paragraph for chapter in text.chapters]
    assert starts == sorted(starts) and all(0 <= p < len(text.paragraphs) for p in starts)
    for first, end in text.chapter_ranges():
        assert 0 <= first < end <= len(text.paragraphs)
    again = BookText.from_index(text.text, json.loads(json.dumps(text.index_doc())))
    assert (again.paragraphs, again.chapters, again.parts) == (text.paragraphs, text.chapters, text.parts)


@PROPERTY_SETTINGS
@given(book=_books, doc=st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(
        st.sampled_from(["paragraphs", "chapters", "parts", "version", "chars"]), inner, max_size=5)),
    max_leaves=20))
def test_a_damaged_index_is_a_value_error_never_a_crash_later(book: str, doc: object) -> None:
    text = build_book_text(text_blocks(book)).text
    try:
        loaded = BookText.from_index(text, doc)
    except ValueError:
        return
    for start, end in loaded.paragraphs:
        assert 0 <= start <= end <= len(text)
    for chapter in loaded.chapters:
        assert 0 <= chapter.paragraph < max(len(loaded.paragraphs), 1)


@pytest.mark.parametrize("chapters", [None, 3, "x", {"a": 1}])
def test_chapters_that_are_not_a_list_are_a_value_error(chapters: object) -> None:
    """Found by the property above: `{"paragraphs": [], "chapters": null}` crashed with a TypeError."""
    with pytest.raises(ValueError, match="chapters are not a list"):
        BookText.from_index("", {"paragraphs": [], "chapters": chapters})
