"""Wrapping one paragraph of prose into terminal lines, measured in cells.

Textual-free on purpose: the reader's speed comes from wrapping only what is on
screen, so this is the hot loop, and it is tested on its own.

A wrapped paragraph is a list of line *starts* (character offsets relative to the
paragraph's start); line `i` is `[starts[i], starts[i + 1])` and the last line runs
to the paragraph's end.  Lines partition the paragraph exactly (the space at a break
stays at the end of the line before it), so every character, and so every
`(paragraph, char)` position, lies on exactly one line at any width.

Breaks are greedy: after a run of spaces, before or after a wide (CJK) character,
at a hard newline inside the paragraph (verse), or, for a word longer than the
width, in the middle of the word.  Spaces at a break may hang past the width, as in
most text layout, so a line's *visible* text never exceeds `width` cells.
"""

from __future__ import annotations

import bisect
import math
import re
from typing import Sequence

from rich.cells import get_character_cell_size

# Average share of the measure a greedy-wrapped line of English prose fills; used
# only for height *estimates* of paragraphs not wrapped yet (measured on War and
# Peace at 72 columns: 0.93).
ESTIMATE_FILL = 0.93

# Characters that take two cells: CJK, Hangul, full-width forms, most emoji.  Used
# only to estimate the cell length of a paragraph cheaply (one regex pass), never
# for the wrapping itself, which measures every character with rich.
_WIDE_ESTIMATE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
    "\U0001f300-\U0001f64f\U0001f900-\U0001f9ff\U00020000-\U0003fffd]"
)

_SAMPLE_CHARS = 65536  # per probe of the beginning, middle and end of a book

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def char_cells(character: str) -> int:
    """Cells one character occupies as the reader draws it (controls are drawn as a space)."""
    if character < " " or "\x7f" <= character < "\xa0":
        return 1
    return get_character_cell_size(character)


def display_text(text: str) -> str:
    """`text` with control characters (tabs, hard newlines) replaced by spaces.

    The replacement keeps one character per character, so offsets into the
    displayed text are offsets into the book's text.
    """
    return _CONTROL.sub(" ", text)


def text_cells(text: str) -> int:
    """Cell width of `text` as the reader draws it."""
    if text.isascii():
        return len(text)
    return sum(char_cells(c) for c in text)


def estimate_cells(text: str) -> int:
    """A cheap estimate of `text`'s cell width (exact for ASCII and CJK, close otherwise)."""
    if text.isascii():
        return len(text)
    return len(text) + len(_WIDE_ESTIMATE.findall(text))


def estimate_cells_of_spans(text: str, spans: Sequence[tuple[int, int]]) -> list[int]:
    """`estimate_cells` of every `text[start:end]`, without slicing the paragraphs.

    Opening a book must not scan each paragraph: prose is full of curly quotes
    (non-ASCII), so a per-paragraph pass costs ~10x this one on War and Peace.  Wide
    characters are looked for in a sample first; a book with none in it is measured
    by length alone, and a book with some gets one regex pass over the whole text.
    """
    sample = _SAMPLE_CHARS
    probe = text if len(text) <= 3 * sample else text[:sample] + text[len(text) // 2 :][:sample] + text[-sample:]
    wide = [match.start() for match in _WIDE_ESTIMATE.finditer(text)] if _WIDE_ESTIMATE.search(probe) else []
    if not wide:
        return [end - start for start, end in spans]
    left = bisect.bisect_left
    return [end - start + left(wide, end) - left(wide, start) for start, end in spans]


def estimate_lines(cells: int, hard_breaks: int, width: int) -> int:
    """Estimated number of lines of a paragraph of `cells` cells at `width`."""
    per_line = max(1.0, width * ESTIMATE_FILL)
    return max(1, math.ceil(cells / per_line)) + hard_breaks


def wrap_paragraph(text: str, width: int) -> list[int]:
    """Wrap one paragraph greedily to `width` cells.

    Args:
        text: The paragraph's text (it may hold "\\n" for hard line breaks).
        width: The measure in cells (at least 1).

    Returns:
        The start offset of each line relative to the paragraph; `[0]` for an empty
        paragraph.
    """
    width = max(1, width)
    starts = [0]
    if "\n" not in text:
        _wrap_segment(text, 0, len(text), width, starts)
        return starts
    position = 0
    for segment in text.split("\n"):
        end = position + len(segment)
        if position:
            starts.append(position)
        _wrap_segment(text, position, end, width, starts)
        position = end + 1  # the "\n" ends the line it is on
    return starts


def _wrap_segment(text: str, start: int, end: int, width: int, starts: list[int]) -> None:
    """Append the starts of the continuation lines of `text[start:end]` (no "\\n" inside)."""
    whole = start == 0 and end == len(text)
    if (text if whole else text[start:end]).isascii():
        _wrap_ascii(text, start, end, width, starts)
    else:
        _wrap_cells(text, start, end, width, starts)


def _wrap_ascii(text: str, start: int, end: int, width: int, starts: list[int]) -> None:
    """Greedy wrap where one character is one cell: `str.rfind` does the work."""
    position = start
    while end - position > width:
        space = text.rfind(" ", position, position + width + 1)
        if space < position:
            following = position + width  # a word longer than the line: cut it
        else:
            following = space + 1
            while following < end and text[following] == " ":
                following += 1  # a run of spaces hangs at the end of the line
            if following >= end:
                return
        starts.append(following)
        position = following


def _wrap_cells(text: str, start: int, end: int, width: int, starts: list[int]) -> None:
    """Greedy wrap measuring each character's cells (wide characters, combining marks)."""
    line_start = start
    cells = 0
    last_break = -1  # where the next line would start if we broke at the last opportunity
    index = start
    while index < end:
        character = text[index]
        size = char_cells(character)
        if size == 2 and index > line_start:
            last_break = index  # a line may break before a wide character
        if character != " " and cells + size > width:
            if last_break > line_start:
                following = last_break
            elif index > line_start:
                following = index
            else:
                following = index + 1  # a single character wider than the line
            if following >= end:
                return
            starts.append(following)
            line_start = following
            cells = 0
            last_break = -1
            index = following
            continue
        cells += size
        if character == " " or size == 2:
            last_break = index + 1
        index += 1
