"""A list of titles scores near 0: The Brothers Karamazov's table of contents was a strong suggestion.

The reader joins the contents' lines into one paragraph ("Part I Book I. The History Of A Family
Chapter I. Fyodor Pavlovitch Karamazov Chapter II. He Gets Rid Of His Eldest Son ..."), 3,886
characters of "Confession", "Heart" and "Passionate" that the features read as a long, feeling-laden
paragraph (0.77).  The `title_list` gate caps such paragraphs; prose that merely holds a roman
numeral or a capitalised name must not be caught.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.finder.features import FEATURE_NAMES, extract
from core.finder.scorer import explain, score_texts
from tests.finder.labelled_set import CORPUS, corpus_book

TITLE = FEATURE_NAMES.index("title_list")


def _title(text: str) -> float:
    return float(extract([text], ngrams=False).features[0, TITLE])


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not present")
def test_the_karamazov_table_of_contents_scores_near_zero() -> None:
    book = corpus_book("brothers_karamazov_28054.txt")
    paragraphs = [book.text[s:e] for s, e in book.paragraphs]
    contents = next(i for i, p in enumerate(paragraphs) if p.startswith("Part I Book I. The History Of A Family"))
    assert len(paragraphs[contents]) > 3000  # the whole contents, one paragraph
    score, reasons = explain(paragraphs[contents])
    assert score <= 0.011 and reasons == ["a list of titles or a heading, not prose"]
    scores = score_texts(paragraphs)
    assert scores[contents] <= 0.011
    # chapter headings too; and the novel's prose is untouched: its first chapter's opening still scores as before
    heading = paragraphs.index("Chapter I. Fyodor Pavlovitch Karamazov")
    assert scores[heading] <= 0.011
    gated = [p for p, s in zip(paragraphs, scores) if s <= 0.011]
    assert all(len(p) < 120 or p is paragraphs[contents] for p in gated), [p[:60] for p in gated if len(p) >= 120]


def test_headings_are_caught_and_prose_with_numerals_or_names_is_not() -> None:
    for heading in ("CHAPTER II. The Pool of Tears", "BOOK ONE: 1805", "PART ONE PART TWO PART THREE",
                    "I. Down the Rabbit-Hole II. The Pool of Tears III. A Caucus-Race", "CONTENTS"):
        assert _title(heading) == 1.0, heading
    for prose in ("I, I and I. I.", "He read the chapter again, the one Part of him that still hoped.",
                  "Chapter and verse, he thought: he had forgotten it all, every word of it.",
                  "Stephen Dedalus. Buck Mulligan. Kinch."):
        assert _title(prose) == 0.0, prose


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcdefghij klmnop ivxlc .,;:—\n")), max_size=300))
def test_lowercase_prose_is_never_a_title_list(text: str) -> None:
    # a title list is capitalised words; prose without capitals can never be gated, whatever its numerals
    assert _title(text) == 0.0
