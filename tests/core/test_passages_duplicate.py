"""`passages add` (and the reader, through the same `create_passage`) refuses an exact duplicate (issue 15)."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.cli import main
from core.library import import_book
from core.passages import DuplicatePassageError, create_passage, resize_passage, text_key
from store import Database

TEXT = ("She thought of the sea.\n\nHe did not answer her.\n\n"
        "She thought of the sea!\n\nThe clock said nothing at all.\n")


@pytest.fixture
def book(project, db, tmp_path: Path):
    path = tmp_path / "b.txt"
    path.write_text(TEXT, encoding="utf-8")
    return import_book(project, db, path)


def _span(book_text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = book_text.index(needle, start + 1)
    return start, start + len(needle)


def test_the_same_span_or_text_is_refused_and_nothing_is_stored(project, db, book) -> None:
    from core.library import load_book_text

    text = load_book_text(project, book).text
    start, end = _span(text, "She thought of the sea.")
    first = create_passage(project, db, book.id, start, end)
    with pytest.raises(DuplicatePassageError, match=rf"^Book {book.id} already has this span as passage {first.id} "
                                                    rf"\[{start}, {end}\); nothing was added: tag that passage"):
        create_passage(project, db, book.id, start, end, tags=["sea"])
    # The same words later in the book (punctuation and case aside) are the same text.
    again = _span(text, "She thought of the sea!")
    with pytest.raises(DuplicatePassageError, match="already has this text as passage"):
        create_passage(project, db, book.id, *again)
    assert len(db.passages.for_book(book.id)) == 1
    # An overlapping, different span is allowed (a build keeps the two in one split).
    wider = create_passage(project, db, book.id, start, _span(text, "He did not answer her.")[1])
    assert len(db.passages.for_book(book.id)) == 2
    # Resizing onto an existing passage is refused too, and the passage keeps its span.
    with pytest.raises(DuplicatePassageError, match="nothing was changed"):
        resize_passage(project, db, wider.id, start, end)
    assert db.passages.get(wider.id).end > end


def test_cli_passages_add_twice_says_so_and_exits_2(project, capsys, tmp_path: Path) -> None:
    path = tmp_path / "b.txt"
    path.write_text(TEXT, encoding="utf-8")
    root = str(project.root)
    assert main(["--project", root, "import", str(path)]) == 0
    capsys.readouterr()
    assert main(["--project", root, "passages", "add", "1", "--start", "0", "--end", "23", "--json"]) == 0
    added = json.loads(capsys.readouterr().out)
    assert main(["--project", root, "passages", "add", "1", "--start", "0", "--end", "23"]) == 2
    err = capsys.readouterr().err.strip()
    assert f"already has this span as passage {added['id']} [0, 23)" in err and err.count(".") <= 2
    with Database(project.db_path) as db:
        assert len(db.passages.all()) == 1


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.printable + "\u00e9\u2019\u201c\u201d", max_size=80),
       st.sampled_from(["", " ", "\n", ".", "!", "  \t", "\u201d"]))
def test_text_key_ignores_case_spacing_and_punctuation(text: str, pad: str) -> None:
    """200 examples: padding, case and punctuation around or inside never make two copies of one text differ."""
    assert text_key(pad + text.upper() + pad) == text_key(text.lower())
    assert text_key(text.replace(" ", "\n  ")) == text_key(text)
    words = text_key(text).split()
    assert all(w.isalnum() for w in words)
