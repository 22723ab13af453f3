"""EPUB amplification and depth (issue 13 item 4): limits on the text, not only the file.

The hostile books are built here: a spine listing one chapter 300 times, 20,000 nested
`<div>`s, a book whose text passes the character limit.
"""

from __future__ import annotations

import random
import time
import tracemalloc

import pytest

from books import decoding, epub
from books.errors import BookFormatError, BookTooLargeError
from books.reader import parse_book_bytes
from tests.books.test_epub import CONTAINER, OPF, _xhtml
from tests.books.test_epub_props import epub_bytes

SPINE = '<spine><itemref idref="c1"/><itemref idref="c2"/></spine>'


def _chapter(size: int, seed: int = 1) -> str:
    """About `size` characters of paragraphs of random words: compresses like prose (~3x), not like zeros."""
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
             for _ in range(5000)]
    paragraphs, total = [], 0
    while total < size:
        paragraph = " ".join(rng.choice(words) for _ in range(80)) + "."
        paragraphs.append(f"<p>{paragraph}</p>")
        total += len(paragraph) + 7
    return _xhtml("<h1>The only chapter</h1>" + "".join(paragraphs))


def test_a_chapter_listed_300_times_is_read_once_quickly_in_bounded_memory() -> None:
    chapter = _chapter(1_400_000)
    opf = OPF.replace(SPINE, "<spine>" + '<itemref idref="c1"/>' * 300 + '<itemref idref="c2"/></spine>')
    data = epub_bytes({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": opf, "OEBPS/one.xhtml": chapter,
                       "OEBPS/two.xhtml": _xhtml("<p>The end.</p>")})
    assert 500_000 < len(data) < 800_000  # the reported file was 666 KB
    tracemalloc.start()
    started = time.perf_counter()
    try:
        parsed = parse_book_bytes(data, "amplified.epub")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    assert 1_300_000 < len(parsed.text.text) < 1_450_000  # one copy of the chapter, not 300 (423 MB before)
    assert parsed.text.text.endswith("The end.")
    assert elapsed < 5.0  # ~0.1 s here; 20 s before
    assert peak < 200 * 1024 * 1024  # 5.5 GB RSS before


def test_two_manifest_ids_for_one_file_read_it_once() -> None:
    opf = OPF.replace('<item id="c2" href="two.xhtml"', '<item id="c2" href="one.xhtml"')
    data = epub_bytes({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": opf,
                       "OEBPS/one.xhtml": _xhtml("<p>Said once.</p>")})
    assert parse_book_bytes(data, "twice.epub").text.text == "Said once."


def test_20000_nested_divs_get_a_sentence_not_a_recursion_error() -> None:
    deep = _xhtml("<div>" * 20_000 + "deep" + "</div>" * 20_000)
    data = epub_bytes({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": OPF, "OEBPS/one.xhtml": deep,
                       "OEBPS/two.xhtml": _xhtml("<p>b</p>")})
    with pytest.raises(BookFormatError, match=r"nests its elements more than 500 deep"):
        parse_book_bytes(data, "deep.epub")


def test_nesting_under_the_limit_is_read() -> None:
    nested = _xhtml("<div>" * 400 + "<p>deep but fine</p>" + "</div>" * 400)
    data = epub_bytes({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": OPF, "OEBPS/one.xhtml": nested,
                       "OEBPS/two.xhtml": _xhtml("<p>b</p>")})
    assert parse_book_bytes(data, "nested.epub").text.text == "deep but fine\n\nb"


def test_the_text_limit_applies_to_decoded_epub_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(epub, "MAX_TEXT_CHARS", 10_000)
    monkeypatch.setattr(decoding, "MAX_TEXT_CHARS", 10_000)
    data = epub_bytes({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": OPF,
                       "OEBPS/one.xhtml": _chapter(6_000, seed=2), "OEBPS/two.xhtml": _chapter(6_000, seed=3)})
    with pytest.raises(BookTooLargeError, match="more than 10,000 characters of text"):
        parse_book_bytes(data, "long.epub")


def test_the_text_limit_applies_to_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decoding, "MAX_TEXT_CHARS", 1_000)
    with pytest.raises(BookTooLargeError, match="characters of text, over the limit"):
        parse_book_bytes(b"word " * 300, "long.txt")
    assert parse_book_bytes(b"word " * 100, "short.txt").text.text.startswith("word word")


def test_bytes_over_the_file_limit_are_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decoding, "MAX_BOOK_BYTES", 100)
    with pytest.raises(BookTooLargeError, match="over the 50 MB limit"):
        parse_book_bytes(b"x" * 101, "big.txt")
