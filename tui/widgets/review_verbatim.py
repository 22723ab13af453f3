"""Words an example copies verbatim from its source passage, found and marked in both texts.

A teacher that copies the book instead of writing the character's inner voice is the failure a reviewer
most needs to see at a glance.  "Copied" means a run of at least `MIN_RUN` consecutive words (compared
case-insensitively, punctuation ignored) that appears in both texts: shorter runs ("she said that he")
are ordinary English.  Every word inside such a run is marked, in the example and in the passage.

The work is linear in the two texts (one set of passage n-grams, one pass over the example), well under a
millisecond for an 800-character example against a page-long passage, so the card can mark on every move.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.text import Text

MIN_RUN = 4  # words; the brief's "word n-grams of >= 4 words"
COPIED_STYLE = "bold reverse"  # readable on every theme, light or dark

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


@dataclass(frozen=True)
class CopiedSpans:
    """Character spans `[start, end)` of copied words in each text, merged into runs."""

    in_example: tuple[tuple[int, int], ...]
    in_passage: tuple[tuple[int, int], ...]
    example_words: int  # words in the example
    copied_words: int  # of them, inside a copied run

    @property
    def share(self) -> float:
        """The share of the example's words that are copied (0..1)."""
        return self.copied_words / self.example_words if self.example_words else 0.0


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group().casefold().replace("\u2019", "'"), m.start(), m.end()) for m in _WORD.finditer(text)]


def _marked_words(words: list[tuple[str, int, int]], other_grams: set[tuple[str, ...]], n: int) -> list[bool]:
    marked = [False] * len(words)
    keys = [w for w, _s, _e in words]
    for i in range(len(words) - n + 1):
        if tuple(keys[i:i + n]) in other_grams:
            for j in range(i, i + n):
                marked[j] = True
    return marked


def _runs(words: list[tuple[str, int, int]], marked: list[bool]) -> tuple[tuple[int, int], ...]:
    """Consecutive marked words as one span each (the gap between them is marked too)."""
    runs: list[tuple[int, int]] = []
    start = end = -1
    for (_w, s, e), is_marked in zip(words, marked):
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


def copied_spans(example: str, passage: str, min_run: int = MIN_RUN) -> CopiedSpans:
    """Find the runs of >= `min_run` words that `example` shares with `passage`.

    Args:
        example: the example's text (the reviewer's version when edited).
        passage: the source passage.
        min_run: the shortest run of words that counts as copying.

    Returns:
        The copied spans in both texts and how many of the example's words they cover.
    """
    example_words, passage_words = _words(example), _words(passage)
    if len(example_words) < min_run or len(passage_words) < min_run:
        return CopiedSpans((), (), len(example_words), 0)
    passage_keys = [w for w, _s, _e in passage_words]
    example_keys = [w for w, _s, _e in example_words]
    passage_grams = {tuple(passage_keys[i:i + min_run]) for i in range(len(passage_keys) - min_run + 1)}
    example_marked = _marked_words(example_words, passage_grams, min_run)
    if not any(example_marked):
        return CopiedSpans((), (), len(example_words), 0)
    example_grams = {tuple(example_keys[i:i + min_run]) for i in range(len(example_keys) - min_run + 1)}
    passage_marked = _marked_words(passage_words, example_grams, min_run)
    return CopiedSpans(_runs(example_words, example_marked), _runs(passage_words, passage_marked),
                       len(example_words), sum(example_marked))


def marked_text(text: str, spans: tuple[tuple[int, int], ...], style: str = COPIED_STYLE) -> Text:
    """`text` as Rich text with `spans` styled (no markup is interpreted in `text`)."""
    rich_text = Text(text)
    for start, end in spans:
        rich_text.stylize(style, start, end)
    return rich_text
