"""Words a text copies verbatim from its source passage: the one definition, for the flag and the card.

A student conversation that carries 8+ consecutive words of the book into training teaches the model to
recite the book (and puts the book's text into every export).  "Copied" means a run of at least
`MIN_RUN` consecutive words that appears in both texts, compared case-insensitively with punctuation
ignored (curly and straight apostrophes are the same letter); seven shared words in a row can still be
ordinary English ("I don't know what to do with"), eight rarely are.  The `copies-passage` flag
(core/quality/student_flags.py) and the Review card's marks (tui/widgets/review_verbatim.py) both call
`copied_spans`, so what is flagged is what is marked.

The work is linear in the two texts (one set of passage n-grams, one pass over the text): well under a
millisecond for a long answer against a page-long passage, so the card can mark on every move.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_RUN = 8  # words (issue 14: "8+ consecutive words of the source passage")

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")

Span = tuple[int, int]
Word = tuple[str, int, int]  # (key, start, end)


@dataclass(frozen=True)
class CopiedSpans:
    """Character spans `[start, end)` of copied words in each text, merged into runs."""

    in_example: tuple[Span, ...]
    in_passage: tuple[Span, ...]
    example_words: int  # words in the example text
    copied_words: int  # of them, inside a copied run

    @property
    def share(self) -> float:
        """The share of the example's words that are copied (0..1)."""
        return self.copied_words / self.example_words if self.example_words else 0.0


def words(text: str) -> list[Word]:
    """The words of `text` as (comparison key, start, end): case folded, apostrophes unified."""
    return [(m.group().casefold().replace("\u2019", "'"), m.start(), m.end()) for m in _WORD.finditer(text)]


def grams(keys: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(keys[i:i + n]) for i in range(len(keys) - n + 1)}


def _marked(found: list[Word], other_grams: set[tuple[str, ...]], n: int) -> list[bool]:
    marked = [False] * len(found)
    keys = [w for w, _s, _e in found]
    for i in range(len(found) - n + 1):
        if tuple(keys[i:i + n]) in other_grams:
            for j in range(i, i + n):
                marked[j] = True
    return marked


def _runs(found: list[Word], marked: list[bool]) -> tuple[Span, ...]:
    """Consecutive marked words as one span each (the gap between them is inside the span)."""
    runs: list[Span] = []
    start = end = -1
    for (_w, s, e), is_marked in zip(found, marked):
        if is_marked:
            if start < 0:
                start = s
            end = e
        elif start >= 0:
            runs.append((start, end))
            start = -1
    if start >= 0:
        runs.append((start, end))
    return tuple(runs)


class PassageGrams:
    """A passage's words and n-grams, computed once and checked against many texts (every turn of a card)."""

    def __init__(self, passage: str, min_run: int = MIN_RUN) -> None:
        self.passage = passage
        self.min_run = min_run
        self.words = words(passage)
        self.grams = grams([w for w, _s, _e in self.words], min_run) if len(self.words) >= min_run else set()

    def copied(self, text: str) -> CopiedSpans:
        """The runs of >= `min_run` words that `text` shares with the passage, in both texts."""
        found = words(text)
        if len(found) < self.min_run or not self.grams:
            return CopiedSpans((), (), len(found), 0)
        marked = _marked(found, self.grams, self.min_run)
        if not any(marked):
            return CopiedSpans((), (), len(found), 0)
        text_grams = grams([w for w, _s, _e in found], self.min_run)
        in_passage = _runs(self.words, _marked(self.words, text_grams, self.min_run))
        return CopiedSpans(_runs(found, marked), in_passage, len(found), sum(marked))


def copied_spans(example: str, passage: str, min_run: int = MIN_RUN) -> CopiedSpans:
    """Find the runs of >= `min_run` words that `example` shares with `passage`.

    Args:
        example: the text to check (a turn of the student conversation, or a whole answer).
        passage: the source passage.
        min_run: the shortest run of words that counts as copying.

    Returns:
        The copied spans in both texts and how many of the example's words they cover.
    """
    return PassageGrams(passage, min_run).copied(example)


def merge_spans(spans: list[Span]) -> tuple[Span, ...]:
    """Sorted spans with overlapping or touching ones merged (the passage's marks from several turns)."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


@dataclass(frozen=True)
class ConversationCopies:
    """Copied runs in every turn of a conversation, and the passage's words any turn copies."""

    per_turn: tuple[CopiedSpans, ...]
    in_passage: tuple[Span, ...]

    @property
    def words(self) -> int:
        return sum(c.example_words for c in self.per_turn)

    @property
    def copied_words(self) -> int:
        return sum(c.copied_words for c in self.per_turn)

    @property
    def share(self) -> float:
        """The share of the conversation's words that are copied (0..1)."""
        return self.copied_words / self.words if self.words else 0.0


def conversation_copies(texts: list[str], passage: str, min_run: int = MIN_RUN) -> ConversationCopies:
    """`copied_spans` for each text (turn) against one passage, its n-grams built once."""
    source = PassageGrams(passage, min_run)
    per_turn = tuple(source.copied(text) for text in texts)
    return ConversationCopies(per_turn, merge_spans([s for c in per_turn for s in c.in_passage]))
