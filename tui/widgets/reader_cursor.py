"""What the reader points at, as text offsets: the cursor, its column, the keyboard mark, search, passages.

Textual-free, like `reader_layout` and `reader_motion`: the `ReaderView` widget owns
scrolling, mouse selection and painting, and asks this model where a key moves the
cursor and what overlays a line carries.  Everything here is an offset into the
book's text (never a line number), so it survives a rewrap at another width; the
layout turns offsets into lines when a vertical move needs them.
"""

from __future__ import annotations

import bisect
from typing import Callable, Iterable, Sequence

from rich.style import Style

from tui.widgets import reader_motion as motion
from tui.widgets.reader_layout import ReaderLayout
from tui.widgets.reader_paint import PassageIndex, PassageLike, verdict_component
from tui.widgets.reader_wrap import char_cells, text_cells

Overlay = tuple[int, int, Style]


class ReaderCursor:
    """The cursor and what travels with it, over one book's text and layout.

    Args:
        text: The book's normalized text.
        spans: `[start, end)` of each paragraph in `text`.
        layout: The layout of those paragraphs (for vertical moves by screen line).
    """

    def __init__(self, text: str, spans: Sequence[tuple[int, int]], layout: ReaderLayout) -> None:
        self.text = text
        self.spans = spans
        self.layout = layout
        self.offset = 0
        self.goal_cells: int | None = None  # the column kept by up/down moves
        self.mark: int | None = None  # the keyboard selection's other end
        self.query = ""
        self.matches: list[int] = []
        self.passages = PassageIndex()

    def place(self, offset: int, keep_goal: bool = False) -> None:
        """Put the cursor on `offset` (clamped to the text); a move that is not vertical forgets the column."""
        self.offset = min(max(offset, 0), len(self.text))
        if not keep_goal:
            self.goal_cells = None

    # --- lines -----------------------------------------------------------------------

    def line(self) -> tuple[int, int, int, int]:
        """`(paragraph, line, line_start, line_end)` of the cursor."""
        paragraph, char = self.layout.position_of(self.offset)
        line = self.layout.line_of(paragraph, char)
        start, end = self.layout.line_span(paragraph, line)
        return paragraph, line, start, end

    def column(self) -> int:
        """The column (in cells) that vertical moves keep: set by the first of them."""
        if self.goal_cells is None:
            _, _, start, _ = self.line()
            self.goal_cells = text_cells(self.text[start : self.offset])
        return self.goal_cells

    def offset_at_cells(self, paragraph: int, line: int, cells: int) -> int:
        """Offset on a line nearest `cells` cells from its start (never past the line)."""
        start, end = self.layout.line_span(paragraph, line)
        last_line = line == self.layout.line_total(paragraph) - 1
        limit = end if last_line else max(start, end - 1)
        used = 0
        offset = start
        while offset < limit:
            size = char_cells(self.text[offset])
            if used + size > cells:
                break
            used += size
            offset += 1
        return offset

    def vertical_target(self, lines: int) -> int:
        """The offset `lines` screen lines down (negative: up) in the kept column, stopping at the ends."""
        paragraph, line, _, _ = self.line()
        cells = self.column()
        step = 1 if lines > 0 else -1
        for _ in range(abs(lines)):
            if step > 0:
                if line + 1 < self.layout.line_total(paragraph):
                    line += 1
                elif paragraph + 1 < len(self.spans):
                    paragraph, line = paragraph + 1, 0
                else:
                    break
            else:
                if line > 0:
                    line -= 1
                elif paragraph > 0:
                    paragraph -= 1
                    line = self.layout.line_total(paragraph) - 1
                else:
                    break
        return self.offset_at_cells(paragraph, line, cells)

    # --- motions by text ---------------------------------------------------------------

    def motion_target(self, name: str) -> int:
        """Where motion `name` (word_forward, word_back, sentence_forward, ...) takes the cursor."""
        text, spans, starts, offset = self.text, self.spans, self.layout.starts, self.offset
        targets: dict[str, Callable[[], int]] = {
            "word_forward": lambda: motion.next_word_end(text, offset),
            "word_back": lambda: motion.prev_word_start(text, offset),
            "sentence_forward": lambda: motion.next_sentence_end(text, spans, starts, offset),
            "sentence_back": lambda: motion.prev_sentence_start(text, spans, starts, offset),
            "paragraph_forward": lambda: motion.next_paragraph_end(spans, starts, offset),
            "paragraph_back": lambda: motion.prev_paragraph_start(spans, starts, offset),
        }
        return targets[name]()

    def search(self, query: str) -> int | None:
        """Find `query` everywhere (case-insensitive); the first match at or after the cursor, if any."""
        self.query = query
        self.matches = motion.find_all(self.text, query)
        return motion.next_match(self.matches, self.offset)

    def match_target(self, direction: int) -> int | None:
        """The next (`direction` > 0) or previous match, wrapping around; None without matches."""
        if direction > 0:
            return motion.next_match(self.matches, self.offset + 1)
        return motion.prev_match(self.matches, self.offset)

    # --- passages and the keyboard selection ---------------------------------------------

    def set_passages(self, passages: Iterable[PassageLike]) -> None:
        self.passages = PassageIndex(passages)

    def passage_target(self, direction: int) -> int | None:
        """Start of the next (`direction` > 0) or previous passage; None when there is none that way."""
        if direction > 0:
            passage = self.passages.next_after(self.offset)
        else:
            passage = self.passages.previous_before(self.offset)
        return passage.start if passage is not None else None

    def keyboard_span(self) -> tuple[int, int] | None:
        """`[start, end)` between the mark and the cursor, None without a mark or when empty."""
        if self.mark is None:
            return None
        start, end = sorted((self.mark, self.offset))
        return (start, end) if end > start else None

    def overlays(self, start: int, end: int, style: Callable[[str], Style], mouse_span: tuple[int, int] | None,
                 show_cursor: bool) -> list[Overlay]:
        """Styled spans touching `[start, end)`, clipped to it, lowest priority first.

        `style` maps a component class name to its style; `mouse_span` is the mouse selection.
        """
        overlays: list[Overlay] = []
        for passage in self.passages.overlapping(start, end):
            overlays.append((passage.start, passage.end, style(verdict_component(passage.verdict))))
        if self.matches:
            length = len(self.query)
            first = bisect.bisect_left(self.matches, start - length + 1)
            last = bisect.bisect_left(self.matches, end)
            match_style = style("reader-view--search-match")
            for match in self.matches[first:last]:
                overlays.append((match, match + length, match_style))
        if self.mark is not None and self.mark != self.offset:
            low, high = sorted((self.mark, self.offset))
            overlays.append((low, high, style("reader-view--selection")))
        if mouse_span is not None:
            overlays.append((*mouse_span, style("screen--selection")))
        if show_cursor:
            overlays.append((self.offset, self.offset + 1, style("reader-view--cursor")))
        return [(max(s, start), min(e, end), st) for s, e, st in overlays if s < end and e > start]
