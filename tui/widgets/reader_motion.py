"""Where the reader's cursor goes: words, sentences, paragraphs, search matches.

Textual-free and width-free: every function maps a text offset to a text offset,
so a keyboard selection built from these motions is the same at any width.
"""

from __future__ import annotations

import bisect
import re
from typing import Sequence

# A sentence ends at terminal punctuation, with any closing quotes or brackets,
# followed by whitespace or the end of the paragraph.
_SENTENCE_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019\u00bb)\]]*(?=\s|$)")
_NEXT_WORD = re.compile(r"\s*\S+")

Spans = Sequence[tuple[int, int]]


def next_word_end(text: str, offset: int) -> int:
    """Offset just after the end of the word at or after `offset` (a word is a run of non-spaces)."""
    match = _NEXT_WORD.match(text, offset)
    return match.end() if match else len(text)


def prev_word_start(text: str, offset: int) -> int:
    """Offset of the start of the word before `offset` (or of the word `offset` is inside)."""
    index = min(offset, len(text))
    while index > 0 and text[index - 1].isspace():
        index -= 1
    while index > 0 and not text[index - 1].isspace():
        index -= 1
    return index


def _paragraph_index(starts: Sequence[int], offset: int) -> int:
    return max(0, bisect.bisect_right(starts, offset) - 1)


def next_sentence_end(text: str, spans: Spans, starts: Sequence[int], offset: int) -> int:
    """Offset just after the end of the sentence at or after `offset`; a paragraph's end ends a sentence."""
    paragraph = _paragraph_index(starts, offset)
    while paragraph < len(spans):
        start, end = spans[paragraph]
        match = _SENTENCE_END.search(text, max(offset, start), end)
        if match:
            return match.end()
        if offset < end:
            return end
        paragraph += 1
    return len(text)


def _sentence_starts(text: str, start: int, end: int) -> list[int]:
    starts = [start]
    for match in _SENTENCE_END.finditer(text, start, end):
        index = match.end()
        while index < end and text[index].isspace():
            index += 1
        if index < end:
            starts.append(index)
    return starts


def prev_sentence_start(text: str, spans: Spans, starts: Sequence[int], offset: int) -> int:
    """Offset of the start of the sentence before `offset` (or of the one `offset` is inside)."""
    paragraph = _paragraph_index(starts, offset)
    while paragraph >= 0 and spans:
        start, end = spans[paragraph]
        before = [s for s in _sentence_starts(text, start, end) if s < offset]
        if before:
            return before[-1]
        paragraph -= 1
    return 0


def next_paragraph_end(spans: Spans, starts: Sequence[int], offset: int) -> int:
    """End of the paragraph holding `offset`, or of the next one when already at its end."""
    if not spans:
        return 0
    paragraph = _paragraph_index(starts, offset)
    end = spans[paragraph][1]
    if offset < end or paragraph + 1 >= len(spans):
        return end
    return spans[paragraph + 1][1]


def prev_paragraph_start(spans: Spans, starts: Sequence[int], offset: int) -> int:
    """Start of the paragraph holding `offset`, or of the previous one when already at its start."""
    if not spans:
        return 0
    paragraph = _paragraph_index(starts, offset)
    start = spans[paragraph][0]
    if offset > start or paragraph == 0:
        return start
    return spans[paragraph - 1][0]


def find_all(text: str, query: str) -> list[int]:
    """Start offsets of every case-insensitive occurrence of `query` (each `len(query)` long)."""
    if not query:
        return []
    pattern = re.compile(re.escape(query), re.IGNORECASE)
    return [match.start() for match in pattern.finditer(text)]


def next_match(matches: Sequence[int], offset: int) -> int | None:
    """The first match at or after `offset`, wrapping to the first; None when there are none."""
    if not matches:
        return None
    index = bisect.bisect_left(matches, offset)
    return matches[index] if index < len(matches) else matches[0]


def prev_match(matches: Sequence[int], offset: int) -> int | None:
    """The last match before `offset`, wrapping to the last; None when there are none."""
    if not matches:
        return None
    index = bisect.bisect_left(matches, offset) - 1
    return matches[index] if index >= 0 else matches[-1]
