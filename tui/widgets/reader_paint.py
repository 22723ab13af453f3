"""What the reader draws on one line: passages by verdict, overlays, and the strip itself.

Kept apart from the widget so that the widget holds behaviour (keys, scrolling,
selections) and this module holds looks.  `PassageIndex` is plain Python; the strip
builder uses Rich segments and Textual's `Strip`.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Callable, Iterable, Protocol, Sequence

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip

from tui.widgets.reader_wrap import display_text, text_cells

if TYPE_CHECKING:
    from tui.widgets.reader_layout import ReaderLayout

Overlay = tuple[int, int, Style]  # [start, end) text offsets and the style laid over them
Mark = tuple[str, Style]  # one cell drawn in the left margin (the finder's score of the paragraph)

VERDICT_COMPONENTS = {
    "valuable": "reader-view--passage-valuable",
    "not": "reader-view--passage-not",
    "unsure": "reader-view--passage-unsure",
}
NO_VERDICT_COMPONENT = "reader-view--passage-none"


class PassageLike(Protocol):
    """What the reader needs of a passage (`store.records.Passage` fits)."""

    @property
    def id(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def verdict(self) -> str: ...


def verdict_component(verdict: str) -> str:
    """The component class that styles a passage with this verdict ("" or unknown: none)."""
    return VERDICT_COMPONENTS.get(verdict, NO_VERDICT_COMPONENT)


class PassageIndex:
    """A book's passages sorted by start, for range and point queries on every drawn line."""

    def __init__(self, passages: Iterable[PassageLike] = ()) -> None:
        self.passages = sorted(passages, key=lambda passage: (passage.start, passage.end))
        self.starts = [passage.start for passage in self.passages]
        self.longest = max((p.end - p.start for p in self.passages), default=0)

    def __len__(self) -> int:
        return len(self.passages)

    def overlapping(self, start: int, end: int) -> list[PassageLike]:
        """Passages that share at least one character with `[start, end)`."""
        first = bisect.bisect_left(self.starts, start - self.longest)
        last = bisect.bisect_left(self.starts, end)
        return [p for p in self.passages[first:last] if p.end > start]

    def at(self, offset: int) -> PassageLike | None:
        """The passage holding `offset` (the shortest one where passages overlap)."""
        best: PassageLike | None = None
        for passage in self.overlapping(offset, offset + 1):
            if passage.start <= offset and (best is None or passage.end - passage.start < best.end - best.start):
                best = passage
        return best

    def next_after(self, offset: int) -> PassageLike | None:
        """The first passage starting after `offset`."""
        index = bisect.bisect_right(self.starts, offset)
        return self.passages[index] if index < len(self.passages) else None

    def previous_before(self, offset: int) -> PassageLike | None:
        """The last passage starting before `offset`."""
        index = bisect.bisect_left(self.starts, offset) - 1
        return self.passages[index] if index >= 0 else None


def style_runs(start: int, end: int, base: Style, overlays: Sequence[Overlay]) -> list[Overlay]:
    """Split `[start, end)` into runs of one combined style; later overlays win."""
    if not overlays:
        return [(start, end, base)]
    cuts = sorted({start, end, *(s for s, _, _ in overlays), *(e for _, e, _ in overlays)})
    runs = []
    for run_start, run_end in zip(cuts, cuts[1:]):
        style = base
        for s, e, overlay in overlays:
            if s <= run_start and run_end <= e:
                style = style + overlay
        runs.append((run_start, run_end, style))
    return runs


def paint_line(
    text: str,
    start: int,
    end: int,
    *,
    caret_after: bool,
    overlays: Sequence[Overlay],
    base: Style,
    margin: int,
    width: int,
    line_key: int,
    mark: Mark | None = None,
) -> Strip:
    """The strip of the text line `text[start:end]`, centred by `margin`, `width` cells wide.

    `Strip.apply_offsets(-margin, line_key)` tags every cell with the character it
    stands for (negative in the margin), which is how Textual's mouse selection
    reports positions that map back to text offsets.  `mark` is drawn one cell left of
    the text when the margin has room for a space between them, else in the first cell.
    """
    shown = display_text(text[start:end])
    if caret_after:
        shown += " "  # room for the caret after a paragraph's last character
    segments = margin_segments(margin, base, mark)
    segments.extend(
        Segment(shown[run_start - start : run_end - start], style)
        for run_start, run_end, style in style_runs(start, start + len(shown), base, overlays)
    )
    cells = margin + text_cells(shown)
    if cells < width:
        segments.append(Segment(" " * (width - cells), base))
    strip = Strip(segments, max(cells, width))
    if cells > width:
        strip = strip.crop(0, width)
    return strip.apply_offsets(-margin, line_key)


def margin_segments(margin: int, base: Style, mark: Mark | None) -> list[Segment]:
    """The left margin of a line: spaces, with the mark's glyph near the text when there is one."""
    if not margin:
        return []
    if mark is None:
        return [Segment(" " * margin, base)]
    glyph, style = mark
    before = margin - 2 if margin >= 2 else 0
    after = margin - before - 1
    return [segment for segment in (Segment(" " * before, base), Segment(glyph, base + style),
                                    Segment(" " * after, base)) if segment.text]


def blank_line(width: int, base: Style, line_key: int) -> Strip:
    """An empty line (between paragraphs, or past the end) that still maps to a text position."""
    return Strip.blank(width, base).apply_offsets(0, line_key)


class LinePainter:
    """The strips of a book's virtual lines, cached by what decides their look.

    A strip's key holds its line's overlays (passages, matches, selections, cursor
    clipped to the line), so moving the cursor rebuilds the two lines it leaves and
    enters, not the page.  `repaint_all()` is for a new width or new styles.
    """

    def __init__(self, layout: "ReaderLayout", cache_size: int = 1024) -> None:
        self.layout = layout
        self._look = 0  # bumped when every line looks different
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(cache_size)

    def repaint_all(self) -> None:
        self._look += 1

    def line(self, virtual_y: int, *, cursor: int, overlays: Callable[[int, int], Sequence[Overlay]],
             base: Callable[[], Style], margin: int, width: int,
             marks: Callable[[int, int], Mark | None] | None = None) -> Strip:
        """The strip of virtual line `virtual_y`; `overlays(start, end)` gives the styled spans of a text line,
        `marks(paragraph, line)` its margin mark (part of the cache key, so a new score repaints the line)."""
        layout = self.layout
        paragraph, line = layout.locate(virtual_y)
        width = max(width, 1)
        if paragraph >= layout.paragraph_count or line >= layout.line_total(paragraph):
            blank_key: tuple[object, ...] = (paragraph, line, self._look)
            strip = self._strips.get(blank_key)
            if strip is None:
                strip = self._strips[blank_key] = blank_line(width, base(), layout.line_key(paragraph, line))
            return strip
        start, end = layout.line_span(paragraph, line)
        caret_after = cursor == end == layout.paragraphs[paragraph][1]
        shown = tuple(overlays(start, end + caret_after))
        mark = marks(paragraph, line) if marks is not None else None
        key = (paragraph, line, self._look, caret_after, shown, mark)
        strip = self._strips.get(key)
        if strip is None:
            strip = paint_line(layout.text, start, end, caret_after=caret_after, overlays=shown, base=base(),
                               margin=margin, width=width, line_key=layout.line_key(paragraph, line), mark=mark)
            self._strips[key] = strip
        return strip
