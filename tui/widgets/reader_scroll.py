"""A Line-API view of a whole book that wraps only what is on screen: scrolling by anchor, painting by line.

The toolong model, without the reader's cursor or selections (`ReaderView` adds
those): `render_line(y)` draws one line of the visible window from a layout that
knows every paragraph's height (estimated until it is wrapped, exact after) without
wrapping the book.  The top of the view is an `Anchor`, a `(paragraph, char)`, never a
line number, so it survives a resize exactly: after a rewrap or a corrected estimate
the view scrolls so that the anchor's line is at the top again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.widgets.reader_layout import Anchor, ReaderLayout
from tui.widgets.reader_paint import LinePainter, Mark, Overlay

if TYPE_CHECKING:
    from books.model import BookText


# The finder's margin marks by level (core.finder.reading.margin_levels): a dim dot on the first line
# of a paragraph that may be worth reading, a bar along every line of a strong one, heavier when stronger.
MARK_GLYPHS = ("", "\u00b7", "\u2502", "\u2503")
MARK_COMPONENTS = ("", "reader-view--finder-maybe", "reader-view--finder-strong", "reader-view--finder-best")


class BookScrollView(ScrollView):
    """Scrolls and paints a `BookText` centred at a readable width, wrapping lazily.

    Args:
        book_text: The book (its normalized text and paragraph spans).
        measure: The readable width in cells; narrower when the widget is narrower.
    """

    COMPONENT_CLASSES = {MARK_COMPONENTS[1], MARK_COMPONENTS[2], MARK_COMPONENTS[3]}

    DEFAULT_CSS = """
    BookScrollView {
        & > .reader-view--finder-maybe { color: $foreground 35%; }
        & > .reader-view--finder-strong { color: $success 75%; }
        & > .reader-view--finder-best { color: $success; text-style: bold; }
    }
    """

    def __init__(self, book_text: BookText, measure: int = 72, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.book_text = book_text
        self.measure = max(10, measure)
        self._text = book_text.text
        self._spans: list[tuple[int, int]] = list(book_text.paragraphs)
        self._layout = ReaderLayout(self._text, self._spans, self.measure)
        self._anchor = Anchor(0, 0)
        self._painter = LinePainter(self._layout)
        self._styles: dict[str, Style] = {}
        self._syncing = False
        self._laid_out = False
        self._margin = 0
        self._view_width = 0
        self._levels: bytes | None = None  # the finder's margin level of each paragraph (None: no marks)

    @property
    def layout_model(self) -> ReaderLayout:
        """The layout (heights, wraps) behind the view; read-only use (tests, benchmarks)."""
        return self._layout

    @property
    def position(self) -> tuple[int, int]:
        """`(paragraph, char)` at the top of the view: the reading position to save."""
        return self._anchor.paragraph, self._anchor.char

    # --- geometry and scrolling -------------------------------------------------

    def _view_height(self) -> int:
        return max(1, self.scrollable_content_region.height)

    def _wrap_width(self, view_width: int) -> int:
        if view_width >= self.measure + 2:
            return self.measure
        return max(1, view_width - 2)

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()

    def _relayout(self) -> bool:
        """Wrap for the current width and restore the anchor; False while the view has no width yet."""
        view_width = self.scrollable_content_region.width
        if view_width <= 0:
            return False
        wrap_width = self._wrap_width(view_width)
        self._layout.set_width(wrap_width)
        self._view_width = view_width
        self._margin = (view_width - wrap_width) // 2
        self._laid_out = True
        self._painter.repaint_all()
        self._changed()
        self._show(self._anchor)
        return True

    def _show(self, anchor: Anchor) -> None:
        """Make the lines around `anchor` exact and scroll so that `anchor` is the top line."""
        if not self._laid_out:
            self._set_anchor(anchor)
            return
        layout = self._layout
        height = self._view_height()
        for _ in range(3):  # settling can correct heights above; converge on a stable top
            y = layout.settle(anchor, height)
            self._update_virtual_size(y, height)
            if round(self.scroll_y) != y:
                self._syncing = True
                try:
                    self.scroll_to(y=y, animate=False, immediate=True, force=True)
                finally:
                    self._syncing = False
            top = round(self.scroll_y)
            if top == y:
                break
            # Clamped at the end of the book: the top line is what is really there.
            anchor = layout.anchor_at(top)
        self._set_anchor(anchor)
        self.refresh()

    def _centre_span(self, start: int, end: int) -> None:
        """Scroll so that `[start, end)` sits in the middle of the view; when taller than the view, its
        first line comes a few lines below the top, so that what leads into it shows too.

        One scroll, not two: the lines around the span are wrapped first (without scrolling), then
        the view goes straight to the centred top.
        """
        if not self._spans:
            return
        paragraph, char = self._layout.position_of(start)
        if not self._laid_out:
            self._show(Anchor(paragraph, char))
            return
        layout, height = self._layout, self._view_height()
        layout.wrap_around(Anchor(paragraph, char), above=height, below=height)
        top, bottom = layout.y_of_offset(start), layout.y_of_offset(max(start, end - 1))
        lines = bottom - top + 1
        first = top - (height - lines) // 2 if lines <= height - 2 else top - min(3, height // 4)
        self._show(layout.anchor_at(max(0, first)))

    def _centre_on(self, offset: int) -> None:
        """Scroll so that the line holding text `offset` is the middle line of the view (less at the ends)."""
        if not self._spans:
            return
        paragraph, char = self._layout.position_of(offset)
        self._show(Anchor(paragraph, char))  # the lines around it made exact first
        if self._laid_out:
            y = self._layout.y_of_offset(offset)
            self._show(self._layout.anchor_at(max(0, y - self._view_height() // 2)))

    def _update_virtual_size(self, top: int, height: int) -> None:
        """Tell the scrollbars the book's height, but only when it matters.

        Every page into unread text corrects a few estimates; re-declaring the
        virtual size each time costs a layout pass of the whole screen.  The lines
        shown come from the layout, not from the virtual size, so it is updated only
        when the width changed, near the end of the book (where it bounds scrolling),
        or when the estimate has drifted by more than 1%.
        """
        total = self._layout.line_count
        declared = self.virtual_size
        if declared.width != self._view_width or declared.height == 0:
            self.virtual_size = Size(self._view_width, total)
            return
        near_end = top + 3 * height >= min(total, declared.height)
        drift = abs(total - declared.height)
        if drift and (near_end or drift * 100 > total):
            self.virtual_size = Size(self._view_width, total)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._syncing or not self._laid_out:
            return
        if self._wrap_width(self.scrollable_content_region.width) != self._layout.width:
            return  # a resize is on its way; it will restore the anchor
        if round(old_value) != round(new_value):
            self._show(self._layout.anchor_at(round(new_value)))

    def _set_anchor(self, anchor: Anchor) -> None:
        if anchor != self._anchor:
            self._anchor = anchor
            self._anchor_moved(anchor)

    def _anchor_moved(self, anchor: Anchor) -> None:
        """Called when the top of the view moves to another position (subclasses tell their parent)."""

    def _scroll_lines(self, lines: int) -> None:
        top = self._layout.y_of_anchor(self._anchor)
        target = max(0, top + lines)
        self._show(self._layout.anchor_at(target))

    # --- painting -------------------------------------------------------------------

    def _changed(self) -> None:
        """Repaint; lines whose overlays did not change come from the strip cache."""
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._painter.repaint_all()
        self._changed()

    def _base_style(self) -> Style:
        # `rich_style` walks the DOM for the background (~0.1 ms): once per style change, not per line.
        style = self._styles.get("")
        if style is None:
            style = self._styles[""] = self.rich_style
        return style

    def _style(self, component: str) -> Style:
        style = self._styles.get(component)
        if style is None:
            if component == "screen--selection":
                style = self.screen.get_component_rich_style(component)
            else:
                style = self.get_component_rich_style(component)
            self._styles[component] = style
        return style

    def set_marks(self, levels: bytes | None) -> None:
        """Show the finder's margin mark of each paragraph (`levels[i]` in 0-3), or none (None).

        Lines whose mark did not change come from the strip cache: a re-rank repaints only
        what it moved.
        """
        self._levels = levels
        self._changed()

    def _mark(self, paragraph: int, line: int) -> Mark | None:
        levels = self._levels
        if levels is None or paragraph >= len(levels):
            return None
        level = levels[paragraph]
        if not level or (level == 1 and line):
            return None
        return MARK_GLYPHS[level], self._style(MARK_COMPONENTS[level])

    def render_line(self, y: int) -> Strip:
        return self._painter.line(round(self.scroll_y) + y, cursor=self._cursor_offset(), overlays=self._overlays,
                                  base=self._base_style, margin=self._margin, width=self._view_width,
                                  marks=self._mark if self._levels is not None else None)

    def _cursor_offset(self) -> int:
        """Where the caret is drawn after a paragraph's end (-1: no cursor)."""
        return -1

    def _overlays(self, start: int, end: int) -> list[Overlay]:
        """Styled spans laid over the text line `[start, end)` (none here; the reader adds its own)."""
        return []
