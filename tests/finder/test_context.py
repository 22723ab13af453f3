"""The neighbours' term: a paragraph inside a stretch of inner life leans toward it, and the reasons say so."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.finder.features import TITLE_LIST, extract
from core.finder.scorer import CONTEXT_SPAN, CONTEXT_WEIGHT, book_logits, context_terms, explain, local_logits
from core.finder.suggestions import BookScores
from tests.finder.test_teacher_scoring import scored

INNER = ("She wondered whether he had ever loved her; perhaps not, she thought, and the thought hurt her "
         "somehow more than she could say, for she remembered how she had felt then, so afraid and so ashamed.")
PLAIN = "The regiment marched along the road past the bridge, and the guns were brought up behind the cavalry."
MIDDLE = "He opened the door and went into the next room, where the table was laid for dinner."


def _book(paragraphs: list[str]) -> BookScores:
    """A book of these paragraphs, a blank line apart, scored as the finder scores one."""
    return scored(paragraphs)


def _brute_force(logits: np.ndarray, usable: np.ndarray) -> np.ndarray:
    out = np.zeros(len(logits))
    for i in range(len(logits)):
        others = [logits[j] for j in range(max(0, i - CONTEXT_SPAN), min(len(logits), i + CONTEXT_SPAN + 1))
                  if j != i and usable[j]]
        out[i] = CONTEXT_WEIGHT * float(np.mean(others)) if others else 0.0
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(-8, 8), st.booleans()), max_size=40))
def test_the_term_is_the_weighted_mean_of_the_other_paragraphs_nearby(rows: list[tuple[float, bool]]) -> None:
    logits = np.array([value for value, _ in rows], dtype=np.float64)
    features = np.zeros((len(rows), TITLE_LIST + 1))
    features[:, TITLE_LIST] = [0.0 if usable else 1.0 for _, usable in rows]
    expected = _brute_force(logits, np.array([usable for _, usable in rows], dtype=bool))
    assert np.allclose(context_terms(logits, features), expected, atol=1e-9)


def test_a_plain_paragraph_among_inner_ones_scores_higher_than_among_plain_ones() -> None:
    inner_run = [INNER] * 5 + [MIDDLE] + [INNER] * 5
    plain_run = [PLAIN] * 5 + [MIDDLE] + [PLAIN] * 5
    among_inner, _ = book_logits(extract(inner_run, ngrams=False).features)
    among_plain, _ = book_logits(extract(plain_run, ngrams=False).features)
    alone = float(local_logits(extract([MIDDLE], ngrams=False).features)[0])
    assert among_inner[5] > alone > among_plain[5]
    assert among_inner[5] - among_plain[5] > 1.0


def test_the_reasons_name_the_neighbours_when_they_moved_the_score() -> None:
    scores = _book([INNER] * 5 + [MIDDLE] + [INNER] * 5)
    inner = scores.suggestion(0)
    assert inner.score >= 0.5 and "amid passages of inner life" in inner.reasons
    # a paragraph alone in its book has no neighbours to speak of
    lone = BookScores(2, MIDDLE, [(0, len(MIDDLE))], extract([MIDDLE]))
    assert float(lone.context[0]) == 0.0 and not any(r.startswith("amid") for r in lone.suggestion(0).reasons)


def test_a_teacher_rating_is_not_credited_to_the_verdicts() -> None:
    """Before: any shift from the local score was put down to the verdicts, the teacher's included."""
    from core.finder.learner import LearnedModel

    scores = _book([PLAIN, MIDDLE, PLAIN])
    scores.rerank(LearnedModel(verdicts=3))  # verdicts that taught nothing: every correction 0
    scores.set_teacher_ratings({1: 0.98})
    reasons = scores.suggestion(1).reasons
    assert scores.scores[1] - scores.local[1] > 0.3
    assert reasons[0] == "the teacher rated it 0.98"
    assert not any(r.startswith("like the") for r in reasons)
    # and a real correction still is credited
    model = LearnedModel(verdicts=3, bias=8.0)
    scores.rerank(model)
    assert scores.suggestion(0).reasons[0] == "like the passages you marked valuable"


def test_neighbours_that_tip_the_score_against_its_own_reasons_read_as_but() -> None:
    """Before: "words of thought and feeling: knew, perhaps; ...; amid plain narration" -- reasons for and a
    reason against in one list, unmarked (seen on Ulysses and Alice in the least-certain list)."""
    middling = "He knew the road well; perhaps it was the third time he had come this way."
    scores = _book([PLAIN] * 5 + [middling] + [PLAIN] * 5)
    suggestion = scores.suggestion(5)
    assert explain(middling)[0] >= 0.5 > suggestion.score  # its own reasons lean one way, the score the other
    assert suggestion.reasons[-1] == "but amid plain narration"
    assert "amid plain narration" not in suggestion.reasons
    # where they agree there is no "but"
    inner = _book([INNER] * 5 + [middling] + [INNER] * 5).suggestion(5)
    assert inner.reasons[-1] == "amid passages of inner life"
