"""The reader's vertical layout of a whole book, known without wrapping the whole book.

Textual-free so that it can be tested on its own.  The view is a column of
paragraphs, each followed by one blank line.  A paragraph's height is *estimated*
from its cell length until it is wrapped, then *exact*; wrapping happens only for
the paragraphs around what is on screen, and the wrapped line starts are kept in an
LRU cache per width.  A prefix sum of the heights maps a virtual line `y` to a
`(paragraph, line)` and back; it is repaired from the first changed paragraph on, so
a correction costs what lies below it, never a rewrap.

Positions are `(paragraph, char)`, not line numbers: line numbers change with the
width and with every corrected estimate above them, characters do not.  The top of
the view is an `Anchor`; after a correction or a resize the view is moved so that
the anchor's line is at the top again.
"""

from __future__ import annotations

import bisect
import math
from collections import OrderedDict
from dataclasses import dataclass
from itertools import accumulate
from typing import Sequence

from tui.widgets.reader_wrap import ESTIMATE_FILL, estimate_cells_of_spans, wrap_paragraph

WRAP_CACHE_SIZE = 4096  # paragraphs; War and Peace has ~12,000
LINE_KEY_STRIDE = 1 << 20  # more lines than any paragraph has at any width


@dataclass(frozen=True)
class Anchor:
    """A position at the top of the view: `char` of `paragraph`, or the blank line after it.

    `gap` is True when the top line is the blank line that follows the paragraph
    (then `char` is the paragraph's length).
    """

    paragraph: int
    char: int
    gap: bool = False


class ReaderLayout:
    """Heights, prefix sums and cached wraps of a book's paragraphs at one width.

    Args:
        text: The book's normalized text.
        paragraphs: `[start, end)` span of each paragraph in `text`.
        width: The measure to wrap at, in cells.
        cache_size: How many wrapped paragraphs to keep.
    """

    def __init__(
        self,
        text: str,
        paragraphs: Sequence[tuple[int, int]],
        width: int,
        cache_size: int = WRAP_CACHE_SIZE,
    ) -> None:
        self.text = text
        self.paragraphs = list(paragraphs)
        self.starts = [start for start, _ in self.paragraphs]
        self._cells = estimate_cells_of_spans(text, self.paragraphs)
        self._hard_breaks = [text.count("\n", start, end) for start, end in self.paragraphs]
        self._cache_size = cache_size
        self._wraps: OrderedDict[int, list[int]] = OrderedDict()
        self.width = 0
        self._heights: list[int] = []
        self._exact = bytearray()
        self._prefix: list[int] = [0]
        self._valid_to = 0  # prefix[0..valid_to] is correct
        self.wrap_count = 0  # paragraphs wrapped so far (for tests and benchmarks)
        self.set_width(width)

    # --- width and heights -------------------------------------------------

    def set_width(self, width: int) -> bool:
        """Re-measure at `width` cells; returns False when the width did not change."""
        width = max(1, width)
        if width == self.width:
            return False
        self.width = width
        self._wraps.clear()
        # estimate_lines(), inlined: this runs over every paragraph on open and on resize.
        per_line = max(1.0, width * ESTIMATE_FILL)
        ceil = math.ceil
        self._heights = [
            (ceil(cells / per_line) or 1) + breaks + 1 for cells, breaks in zip(self._cells, self._hard_breaks)
        ]
        self._exact = bytearray(len(self.paragraphs))
        self._prefix = [0] * (len(self.paragraphs) + 1)
        self._valid_to = 0
        return True

    @property
    def paragraph_count(self) -> int:
        return len(self.paragraphs)

    def is_exact(self, paragraph: int) -> bool:
        """Whether the paragraph's height is measured (wrapped at this width) rather than estimated."""
        return bool(self._exact[paragraph])

    @property
    def exact_count(self) -> int:
        return sum(self._exact)

    def lines(self, paragraph: int) -> list[int]:
        """Line starts of `paragraph` at the current width (wrapping it if needed)."""
        wraps = self._wraps
        starts = wraps.get(paragraph)
        if starts is not None:
            wraps.move_to_end(paragraph)
            return starts
        start, end = self.paragraphs[paragraph]
        starts = wrap_paragraph(self.text[start:end], self.width)
        self.wrap_count += 1
        wraps[paragraph] = starts
        if len(wraps) > self._cache_size:
            wraps.popitem(last=False)
        height = len(starts) + 1
        self._exact[paragraph] = 1
        if self._heights[paragraph] != height:
            self._heights[paragraph] = height
            self._valid_to = min(self._valid_to, paragraph)
        return starts

    def line_total(self, paragraph: int) -> int:
        """Number of text lines of `paragraph` (its blank line not counted)."""
        return len(self.lines(paragraph))

    def height(self, paragraph: int) -> int:
        """Height of `paragraph` with its blank line, estimated if it is not wrapped yet."""
        return self._heights[paragraph]

    # --- the prefix sum ------------------------------------------------------

    def _repair(self, upto: int) -> None:
        if self._valid_to >= upto:
            return
        first = self._valid_to
        self._prefix[first:] = accumulate(self._heights[first:], initial=self._prefix[first])
        self._valid_to = len(self.paragraphs)

    @property
    def line_count(self) -> int:
        """Virtual height of the whole book in lines."""
        self._repair(len(self.paragraphs))
        return self._prefix[-1]

    def paragraph_y(self, paragraph: int) -> int:
        """Virtual line of the first line of `paragraph` (the line count for one past the end)."""
        self._repair(paragraph)
        return self._prefix[paragraph]

    def locate(self, y: int) -> tuple[int, int]:
        """The `(paragraph, line)` at virtual line `y`.

        `line` equals the paragraph's text line count for its blank line; past the
        end of the book the paragraph is `paragraph_count`.  Wraps the paragraph so
        that the line is exact.
        """
        count = len(self.paragraphs)
        if y < 0 or count == 0:
            return 0, 0
        self._repair(count)
        paragraph = bisect.bisect_right(self._prefix, y) - 1
        if paragraph >= count:
            return count, 0
        local = y - self._prefix[paragraph]
        lines = self.line_total(paragraph)
        return paragraph, min(local, lines)

    # --- positions -----------------------------------------------------------

    def position_of(self, offset: int) -> tuple[int, int]:
        """`(paragraph, char)` of an offset in the text (offsets between paragraphs go to the end of the one before)."""
        if not self.paragraphs:
            return 0, 0
        paragraph = max(0, bisect.bisect_right(self.starts, offset) - 1)
        start, end = self.paragraphs[paragraph]
        return paragraph, min(max(offset, start), end) - start

    def offset_of(self, paragraph: int, char: int) -> int:
        """Offset in the text of `char` of `paragraph` (clamped to the paragraph)."""
        if not self.paragraphs:
            return 0
        paragraph = min(max(paragraph, 0), len(self.paragraphs) - 1)
        start, end = self.paragraphs[paragraph]
        return min(max(start + char, start), end)

    def line_of(self, paragraph: int, char: int) -> int:
        """Index of the line of `paragraph` that holds `char`."""
        return max(0, bisect.bisect_right(self.lines(paragraph), char) - 1)

    def line_span(self, paragraph: int, line: int) -> tuple[int, int]:
        """`[start, end)` text offsets of a line; the blank line after a paragraph is empty."""
        start, end = self.paragraphs[paragraph]
        starts = self.lines(paragraph)
        if line >= len(starts):
            return end, end
        line_end = start + starts[line + 1] if line + 1 < len(starts) else end
        return start + starts[line], line_end

    def y_of_offset(self, offset: int) -> int:
        """Virtual line that holds text offset `offset`."""
        paragraph, char = self.position_of(offset)
        line = self.line_of(paragraph, char)
        return self.paragraph_y(paragraph) + line

    # --- anchors -------------------------------------------------------------

    def anchor_at(self, y: int) -> Anchor:
        """The anchor of the line at virtual line `y`."""
        paragraph, line = self.locate(y)
        count = len(self.paragraphs)
        if paragraph >= count:
            if not count:
                return Anchor(0, 0)
            last = count - 1
            start, end = self.paragraphs[last]
            return Anchor(last, end - start, gap=True)
        starts = self.lines(paragraph)
        if line >= len(starts):
            start, end = self.paragraphs[paragraph]
            return Anchor(paragraph, end - start, gap=True)
        return Anchor(paragraph, starts[line])

    def y_of_anchor(self, anchor: Anchor) -> int:
        """Virtual line of `anchor` at the current width."""
        if not self.paragraphs:
            return 0
        paragraph = min(anchor.paragraph, len(self.paragraphs) - 1)
        starts = self.lines(paragraph)
        line = len(starts) if anchor.gap else self.line_of(paragraph, anchor.char)
        return self.paragraph_y(paragraph) + line

    def wrap_around(self, anchor: Anchor, above: int, below: int) -> None:
        """Wrap the paragraphs from `above` lines before the anchor to `below` lines after it.

        The view calls this before it draws, so that every line on screen (and a
        margin for the next scroll) is exact.
        """
        count = len(self.paragraphs)
        if not count:
            return
        paragraph = min(anchor.paragraph, count - 1)
        exact, heights = self._exact, self._heights
        lines = 0
        index = paragraph
        while index < count and lines < below:
            if not exact[index]:
                self.lines(index)
            lines += heights[index]
            index += 1
        lines = 0
        index = paragraph - 1
        while index >= 0 and lines < above:
            if not exact[index]:
                self.lines(index)
            lines += heights[index]
            index -= 1

    def settle(self, anchor: Anchor, height: int) -> int:
        """Wrap what a view of `height` lines at `anchor` shows (plus a margin) and return the anchor's line."""
        self.wrap_around(anchor, above=height, below=2 * height + 1)
        return self.y_of_anchor(anchor)

    # --- line keys: how a painted line names itself to Textual's mouse selection -------------

    @staticmethod
    def line_key(paragraph: int, line: int) -> int:
        """The key of a line: stable while estimates of other paragraphs are corrected."""
        return paragraph * LINE_KEY_STRIDE + line

    def offset_at_key(self, x: int, key: int) -> int:
        """Text offset of character `x` of the line named `key` (`x` < 0: the left margin)."""
        paragraph, line = divmod(key, LINE_KEY_STRIDE)
        if paragraph >= len(self.paragraphs):
            return len(self.text)
        start, end = self.line_span(paragraph, line)
        return min(start + max(x, 0), end)

    def key_of_offset(self, offset: int) -> tuple[int, int]:
        """`(x, key)` of a text offset: the inverse of `offset_at_key`."""
        paragraph, char = self.position_of(offset)
        line = self.line_of(paragraph, char)
        start, _ = self.line_span(paragraph, line)
        return offset - start, self.line_key(paragraph, line)

    def span_at(self, y: int) -> tuple[int, int]:
        """`[start, end)` text offsets of virtual line `y` (the end of the text past the last line)."""
        paragraph, line = self.locate(y)
        if paragraph >= len(self.paragraphs):
            return len(self.text), len(self.text)
        return self.line_span(paragraph, line)
