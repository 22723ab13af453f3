"""A scrollable block of wrapped Rich text that repaints without a screen layout pass.

The Review screen changes the card's text (and often the passage's) on every key press.  A `Static` inside a
`VerticalScroll` has to be updated with a layout refresh (its height follows the text), and Textual then
re-lays-out and re-composites the whole screen: most of the paint of a card.  This widget keeps a fixed
place in the layout instead: it wraps its text itself (Rich `Text.wrap`, cached per width), turns each line
into one finished `Strip` (the Line API, as Textual's `Log` does), and on a new text it only sets its
virtual size and repaints the lines that changed.  A layout pass is still asked for in the rare case that
the vertical scrollbar has to appear or go away, because that changes the width the text wraps to.
`prepare(text)` wraps a text ahead of time (the Review screen calls it for the next card while idle), so
that the key press which shows it only repaints.

Styled spans (the copied words' `bold reverse`) survive: they are part of the `Text` that is wrapped, and
the widget's own style is applied underneath them.  Segments carry the `offset` metadata Textual's text
selection reads, as `Strip.apply_offsets` would add.
"""

from __future__ import annotations

from typing import Any, Optional

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

PREPARED_TEXTS = 4  # texts wrapped ahead: the next card's, with room for a move back and forth


def _text_key(text: Text) -> tuple[Any, ...]:
    """What decides the wrapped lines of a text: its characters, its spans and its base style."""
    return (text.plain, tuple(text.spans), str(text.style), text.end)


class ReviewText(ScrollView, can_focus=False):
    """Wrapped, read-only, vertically scrollable text; `show(text)` repaints it without a screen layout."""

    DEFAULT_CSS = """
    ReviewText { height: 1fr; overflow-x: hidden; overflow-y: auto; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._text = Text("")
        self._lines: dict[int, list[Strip]] = {}  # wrap width -> the text's finished lines
        self._blank: Optional[Strip] = None
        self._style: Optional[Style] = None
        # Texts wrapped ahead of `show` while the app was idle (the next card's), by `_text_key`; a few only.
        self._prepared: dict[tuple[Any, ...], dict[int, list[Strip]]] = {}

    @property
    def text(self) -> Text:
        return self._text

    def render(self) -> Text:
        """The whole text (what `str()` of the widget's content gives; painting goes through `render_line`)."""
        return self._text

    def show(self, text: Text) -> None:
        """Show `text` from its first line, repainting only the lines of this widget that change."""
        width = self._wrap_width(self.show_vertical_scrollbar)
        shown_before = len(self._lines.get(width, ())) if not self.scroll_y else -1
        self._text = text
        self._lines = self._prepared.pop(_text_key(text), {})
        if self.scroll_y:
            self.set_reactive(ScrollView.scroll_y, 0)  # the repaint below shows the top
            self._scroll_update(self.virtual_size)
        if self._fit() and shown_before >= 0:
            # Lines below both the old and the new text stay blank: leave them (and their styling) cached.
            changed = max(shown_before, len(self.lines_for(width)))
            self.refresh(Region(0, 0, width, min(changed, self.size.height)))
        else:
            self.refresh()

    def prepare(self, text: Text) -> None:
        """Wrap `text` now, while the app is idle, so that a later `show(text)` only repaints."""
        if not self.size.width:
            return
        key = _text_key(text)
        if key in self._prepared:
            return
        narrow = self._wrap_width(True)
        lines = {self._wrap_width(False): self._render_lines(text, self._wrap_width(False))}
        if self.styles.overflow_y != "hidden" and narrow not in lines:
            lines[narrow] = self._render_lines(text, narrow)
        while len(self._prepared) >= PREPARED_TEXTS:
            del self._prepared[next(iter(self._prepared))]
        self._prepared[key] = lines

    def scroll_pages(self, pages: int) -> None:
        (self.scroll_page_down if pages > 0 else self.scroll_page_up)(animate=False)

    # ---- wrapping -----------------------------------------------------------------------------

    def _wrap_width(self, with_scrollbar: bool) -> int:
        # `size` is the content area including the vertical scrollbar's column (Textual draws the scrollbar
        # over the widget's region): the text wraps to what is left of it.
        return self.size.width - (self.styles.scrollbar_size_vertical if with_scrollbar else 0)

    def _rich_style(self) -> Style:
        # `rich_style` walks the DOM (~0.2 ms): once per style change, not once per line.
        if self._style is None:
            self._style = self.rich_style
        return self._style

    def _render_lines(self, text: Text, width: int) -> list[Strip]:
        """`text` wrapped to `width`, each line one Strip: base style under the spans, padded, offsets set."""
        console = self.app.console
        base = self._rich_style()
        strips = []
        for y, line in enumerate(text.wrap(console, width, justify="left", overflow="fold")):
            line.rstrip()
            x = 0
            segments = []
            for segment in line.render(console):
                if segment.control:
                    continue
                style = base + segment.style if segment.style else base
                segments.append(Segment(segment.text, style + Style.from_meta({"offset": (x, y)})))
                x += len(segment.text)
            cells = line.cell_len
            if cells < width:
                segments.append(Segment(" " * (width - cells), base + Style.from_meta({"offset": (x, y)})))
            strips.append(Strip(segments, max(width, cells)))
        return strips

    def lines_for(self, width: int) -> list[Strip]:
        if width not in self._lines:
            self._lines[width] = self._render_lines(self._text, width)
        return self._lines[width]

    def _fit(self) -> bool:
        """Set the virtual size for the current text; relayout only when the scrollbar must toggle.

        Returns False when a layout pass was asked for (or the widget has no size yet).
        """
        if not self.size.width:
            return False  # not laid out yet: on_resize fits it
        height = self.size.height
        shown = self.show_vertical_scrollbar
        without = self.lines_for(self._wrap_width(False))
        overflow = self.styles.overflow_y  # "hidden" crops (fixed-height parts), "scroll" always shows one
        needs_scrollbar = overflow == "scroll" or (overflow == "auto" and len(without) > height)
        lines = self.lines_for(self._wrap_width(True)) if needs_scrollbar else without
        size = Size(self._wrap_width(needs_scrollbar), len(lines))
        if size == self.virtual_size:
            return True
        self.set_reactive(Widget.virtual_size, size)
        # Refreshes the scrollbar; when it has to appear or go away, `show_vertical_scrollbar` changes and
        # (a reactive with layout=True) asks for the layout pass the new width needs; `on_resize` rewraps.
        self._scroll_update(size)
        return needs_scrollbar == shown

    def on_resize(self) -> None:
        self._lines = {}
        self._prepared = {}
        self._blank = None
        self._fit()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style = None
        self._blank = None
        self._lines = {}
        self._prepared = {}

    # ---- painting -----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self._wrap_width(self.show_vertical_scrollbar)
        lines = self.lines_for(width)
        index = self.scroll_offset.y + y
        if index < len(lines):
            return lines[index]
        if self._blank is None or self._blank.cell_length != width:
            self._blank = Strip.blank(width, self._rich_style())
        return self._blank
