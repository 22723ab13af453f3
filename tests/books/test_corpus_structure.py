"""Structure of every book in the shared corpus, against counts checked by hand.

How each figure was verified (on the source files in ../shared/corpus, CR removed, BOM removed):
- paragraphs: `sed -n 'START+1,END-1p' | awk 'NF && !prev {n++} {prev=NF} END {print n}'` counts the
  blank-line-separated blocks between the Gutenberg markers; minus the transcriber's "Produced by" block
  and the "End of the Project Gutenberg ..." line that the importer drops (Anna Karenina: 7689 - 2 = 7687;
  Notes from Underground: 525 - 2 = 523).  Mrs Dalloway (no markers): lines 42-6690 give 751 blocks, plus
  "THE END" = 752.  Alice (EPUB): 772 <p> + 12 <h2> + 1 <h5> + 2 text <div class="pgmonospaced"> in the
  12 chapter chunks = 787 (counted with a regex over the XHTML).
- War and Peace: `grep -cE '^CHAPTER [IVXLC]+$'` = 365 (the contents entries are indented and not counted);
  `grep -nE '^(BOOK|FIRST EPILOGUE|SECOND EPILOGUE)'` = 15 books + 2 epilogues.  Chapters per book read off
  the contents: 28 21 19 16 22 26 13 22 23 39 34 16 19 19 20, epilogues 16 and 12 (sum 365).
- Anna Karenina: `grep -cE '^Chapter [0-9]+$'` = 239; `grep -n '^PART'` = 8 (the contents block is indented).
- Brothers Karamazov: `grep -c '^Chapter'` = 96 (93 in 12 books + 3 in the Epilogue); `grep '^Book'` = 12,
  `grep '^PART'` = 4, `grep '^EPILOGUE'` = 1: parts are the 12 books (inside PART I-IV) and the Epilogue.
- Crime and Punishment: `grep -c '^CHAPTER'` = 39 plus the Epilogue's bare "I" and "II" = 41;
  `grep '^PART'` = 6 + EPILOGUE = 7.
- Notes from Underground: bare roman numerals alone on a line: 11 in PART I and 10 in PART II = 21.
- Swann's Way: no chapter headings; the all-caps sections listed in its contents (OVERTURE, COMBRAY, SWANN IN
  LOVE, PLACE-NAMES: THE NAME) each occur once more in the text = 4, no parts.
- Ulysses: `grep -cE '^\\[ [0-9]+ \\]$'` = 18 episodes at column 0; `grep -cE '^— [IVX]+ —$'` = 3 parts.
  Line 18385 "I." (Bloom writing in the sand) must not be a chapter.
- Mrs Dalloway: no headings; 7 runs of exactly 3 blank lines inside the text (awk over blank runs: lines
  404, 929, 1624, 1907, 1976, 2189, 5635) = 8 sections; the 2-blank runs around quoted verse are not breaks.
- Alice: 12 `<h2>CHAPTER ...` headings; the title page and contents sit in the dropped pg-header chunk.
"""

from __future__ import annotations

from collections import Counter

import pytest

EXPECTED = {
    # name: (parts, chapters, paragraphs, title, author, kind, gutenberg number)
    "war_and_peace_2600.txt": (17, 365, 12107, "War and Peace", "Leo Tolstoy", "gutenberg", 2600),
    "anna_karenina_1399.txt": (8, 239, 7687, "Anna Karenina", "Leo Tolstoy", "gutenberg", 1399),
    "brothers_karamazov_28054.txt": (13, 96, 5961, "The Brothers Karamazov", "Fyodor Dostoyevsky", "gutenberg",
                                     28054),
    "crime_and_punishment_2554.txt": (7, 41, 3969, "Crime and Punishment", "Fyodor Dostoevsky", "gutenberg", 2554),
    "notes_from_underground_600.txt": (2, 21, 523, "Notes from the Underground", "Feodor Dostoevsky", "gutenberg",
                                       600),
    "swanns_way_7178.txt": (0, 4, 1076, "Swann's Way", "Marcel Proust", "gutenberg", 7178),
    "ulysses_4300.txt": (3, 18, 7179, "Ulysses", "James Joyce", "gutenberg", 4300),
    "mrs_dalloway_pga0200991.txt": (0, 8, 752, "Mrs. Dalloway", "Virginia Woolf", "gutenberg", None),
    "alice_in_wonderland_11.epub": (0, 12, 787, "Alice's Adventures in Wonderland", "Lewis Carroll", "epub", 11),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_counts_and_metadata(parsed_corpus, name: str) -> None:
    parts, chapters, paragraphs, title, author, kind, number = EXPECTED[name]
    book = parsed_corpus(name)
    assert (len(book.text.parts), len(book.text.chapters), len(book.text.paragraphs)) == (parts, chapters,
                                                                                          paragraphs)
    assert (book.title, book.author, book.source_kind, book.gutenberg_number) == (title, author, kind, number)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_normalized_text_invariants(parsed_corpus, name: str) -> None:
    text = parsed_corpus(name).text
    # Paragraphs are separated by exactly one blank line and hold no line breaks or doubled spaces.
    assert text.text == "\n\n".join(text.paragraph_text(i) for i in range(len(text.paragraphs)))
    assert "\n\n\n" not in text.text and "  " not in text.text
    for i in range(0, len(text.paragraphs), 97):
        paragraph = text.paragraph_text(i)
        assert paragraph and "\n" not in paragraph and paragraph == paragraph.strip()
        start, end = text.paragraphs[i]
        assert text.paragraph_at(start) == i and text.paragraph_at(end - 1) == i
    # Chapters in reading order, each on a heading paragraph, each part label known.
    positions = [c.paragraph for c in text.chapters]
    assert positions == sorted(set(positions))
    assert all(c.part in text.parts for c in text.chapters if c.part)
    # No Gutenberg wrapping is left in the book.
    assert "START OF THE PROJECT GUTENBERG" not in text.text.upper()
    assert "END OF THE PROJECT GUTENBERG" not in text.text.upper()
    assert "Project Gutenberg License" not in text.text


def test_war_and_peace_books_and_chapters(parsed_corpus) -> None:
    text = parsed_corpus("war_and_peace_2600.txt").text
    per_part = Counter(c.part for c in text.chapters)
    assert [per_part[p] for p in text.parts] == [28, 21, 19, 16, 22, 26, 13, 22, 23, 39, 34, 16, 19, 19, 20, 16, 12]
    assert text.parts[0] == "BOOK ONE: 1805" and text.parts[-2:] == ["FIRST EPILOGUE: 1813 - 20", "SECOND EPILOGUE"]
    first = text.chapters[0]
    assert first.title == "CHAPTER I" and first.part == "BOOK ONE: 1805"
    # The real first chapter, not the table of contents: its next paragraph is prose.
    assert text.paragraph_text(first.paragraph + 1).startswith("“Well, Prince, so Genoa and Lucca")


def test_karamazov_books_nest_in_parts(parsed_corpus) -> None:
    text = parsed_corpus("brothers_karamazov_28054.txt").text
    assert text.parts[0] == "PART I / Book I. The History Of A Family"
    assert text.parts[-1] == "EPILOGUE"
    assert Counter(c.part for c in text.chapters)["EPILOGUE"] == 3
    assert text.chapters[0].title == "Chapter I. Fyodor Pavlovitch Karamazov"


def test_crime_and_punishment_epilogue_numerals(parsed_corpus) -> None:
    text = parsed_corpus("crime_and_punishment_2554.txt").text
    assert [(c.title, c.part) for c in text.chapters[-2:]] == [("I", "EPILOGUE"), ("II", "EPILOGUE")]


def test_ulysses_sand_writing_is_not_a_chapter(parsed_corpus) -> None:
    text = parsed_corpus("ulysses_4300.txt").text
    assert [c.title for c in text.chapters] == [f"[ {n} ]" for n in range(1, 19)]
    assert [c.part for c in text.chapters].count("— II —") == 12


def test_swann_sections_and_dalloway_breaks(parsed_corpus) -> None:
    swann = parsed_corpus("swanns_way_7178.txt").text
    assert [c.title for c in swann.chapters] == ["OVERTURE", "COMBRAY", "SWANN IN LOVE", "PLACE-NAMES: THE NAME"]
    assert swann.paragraph_text(swann.chapters[0].paragraph + 1).startswith("For a long time I used to go to bed")
    dalloway = parsed_corpus("mrs_dalloway_pga0200991.txt").text
    assert dalloway.paragraph_text(0) == "Mrs. Dalloway said she would buy the flowers herself."
    assert dalloway.paragraph_text(dalloway.chapters[1].paragraph).startswith("The violent explosion")
    assert dalloway.paragraph_text(len(dalloway.paragraphs) - 1) == "THE END"
    assert "Project Gutenberg" not in dalloway.text


def test_alice_chapter_titles(parsed_corpus) -> None:
    text = parsed_corpus("alice_in_wonderland_11.epub").text
    assert text.chapters[0].title == "CHAPTER I. Down the Rabbit-Hole"
    assert text.chapters[-1].title == "CHAPTER XII. Alice’s Evidence"
    assert text.paragraph_text(1).startswith("Alice was beginning to get very tired")
    assert "This ebook is for the use of anyone" not in text.text
