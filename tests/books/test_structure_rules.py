"""Structure rules on small made-up books: contents, numerals in sequence, fallbacks, the index."""

from __future__ import annotations

from books.model import BookText, Chapter
from books.structure import build_book_text, roman_to_int, text_blocks

PROSE = "Some prose that runs on for a while, as prose does."


def _book(body: str) -> BookText:
    return build_book_text(text_blocks(body))


def test_roman_numerals() -> None:
    assert [roman_to_int(s) for s in ("I", "IV", "XIV", "XLII", "MCMXC")] == [1, 4, 14, 42, 1990]
    assert roman_to_int("IIII") is None and roman_to_int("IC") is None and roman_to_int("ABC") is None


def test_contents_block_is_not_structure() -> None:
    body = (f"MY NOVEL\n\n\nContents\n\nPART ONE\n\nCHAPTER I\n\nCHAPTER II\n\nPART TWO\n\nCHAPTER I\n\n\n"
            f"PART ONE\n\n\nCHAPTER I\n\n{PROSE}\n\nCHAPTER II\n\n{PROSE}\n\n\nPART TWO\n\nCHAPTER I\n\n{PROSE}\n")
    book = _book(body)
    assert book.parts == ["PART ONE", "PART TWO"]
    assert [(c.title, c.part) for c in book.chapters] == [("CHAPTER I", "PART ONE"), ("CHAPTER II", "PART ONE"),
                                                          ("CHAPTER I", "PART TWO")]
    assert book.paragraph_text(book.chapters[0].paragraph + 1) == PROSE


def test_heading_runs_without_prose_are_skipped_even_without_a_contents_title() -> None:
    body = f"CHAPTER I\n\nCHAPTER II\n\nCHAPTER III\n\n\nCHAPTER I\n\n{PROSE}\n\nCHAPTER II\n\n{PROSE}\n"
    assert [c.paragraph for c in _book(body).chapters] == [3, 5]


def test_bare_numerals_count_only_in_sequence() -> None:
    body = f"I\n\n{PROSE}\n\nII\n\n{PROSE}\n\nI.\n\n{PROSE}\n\nIII\n\n{PROSE}\n"
    book = _book(body)
    assert [c.title for c in book.chapters] == ["I", "II", "III"]


def test_chapter_titles_on_two_lines_and_word_numbers() -> None:
    body = f"Chapter One\nThe Beginning\n\n{PROSE}\n\nChapter Two: The Middle\n\n{PROSE}\n"
    assert [c.title for c in _book(body).chapters] == ["Chapter One The Beginning", "Chapter Two: The Middle"]


def test_all_caps_headings_when_no_chapter_words() -> None:
    body = f"\n\nTHE FIRST DAY\n\n{PROSE}\n\n{PROSE}\n\n\nTHE SECOND DAY\n\n{PROSE}\n\nTHE END\n"
    assert [c.title for c in _book(body).chapters] == ["THE FIRST DAY", "THE SECOND DAY"]


def test_section_breaks_fallback() -> None:
    body = f"{PROSE}\n\n{PROSE}\n\n\n\n{PROSE}\n\n* * *\n\n{PROSE}\n"
    book = _book(body)
    assert [(c.title, c.paragraph) for c in book.chapters] == [("Section 1", 0), ("Section 2", 2),
                                                               ("Section 3", 4)]


def test_no_structure_at_all() -> None:
    book = _book(f"{PROSE}\n\n{PROSE}\n")
    assert book.chapters == [] and book.parts == []


def test_paragraph_index_and_round_trip() -> None:
    book = _book("  One\n  two  \n\n\n\nThree\tfour\n")
    assert book.text == "One two\n\nThree four"
    assert book.paragraphs == [(0, 7), (9, 19)]
    assert [book.paragraph_at(o) for o in (0, 6, 7, 8, 9, 18, 500)] == [0, 0, 0, 0, 1, 1, 1]
    assert book.paragraph_text(1) == "Three four"
    again = BookText.from_index(book.text, book.index_doc())
    assert again == book and again.paragraph_at(9) == 1


def test_chapter_ranges() -> None:
    book = BookText(text="a\n\nb\n\nc", paragraphs=[(0, 1), (3, 4), (6, 7)],
                    chapters=[Chapter("A", 0), Chapter("B", 2)], parts=[])
    assert book.chapter_ranges() == [(0, 2), (2, 3)]
    assert [book.chapter_at(p) for p in range(3)] == [0, 0, 1]
