"""The book reader: a Line-API `ScrollView` that wraps only what is on screen.

The toolong model: `render_line(y)` draws one line of the visible window from a
layout that knows every paragraph's height (estimated until it is wrapped, exact
after) without wrapping the book.  Everything the user can point at, the reading
position, the cursor, a keyboard or mouse selection, passages and search matches,
is held as text offsets or `(paragraph, char)`, never as line numbers, so it
survives a resize exactly; line numbers are recomputed from them.

Mouse selection uses Textual's own text selection: each rendered line carries
`Strip.apply_offsets(x, key)` metadata where `key` names the line as
`paragraph * LINE_KEY_STRIDE + line` (stable while other paragraphs' estimates are
corrected) and `x` is the character within the line (negative in the left margin),
so the selection Textual reports maps straight back to text offsets.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Iterable, Sequence

from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Offset, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

from tui.widgets import reader_motion as motion
from tui.widgets.reader_layout import Anchor, ReaderLayout
from tui.widgets.reader_paint import PassageIndex, blank_line, paint_line, verdict_component
from tui.widgets.reader_wrap import char_cells, text_cells

if TYPE_CHECKING:
    from books.model import BookText
    from store.records import Passage

LINE_KEY_STRIDE = 1 << 20  # more lines than any paragraph has at any width


class ReaderView(ScrollView, can_focus=True, inherit_bindings=False):
    """Reads a `BookText`: lazily wrapped, centred, with a cursor, selections, passages and search.

    Args:
        book_text: The book (its normalized text and paragraph spans).
        passages: Passages of this book to draw highlighted (`.id .start .end .verdict`).
        measure: The readable width in cells; narrower when the widget is narrower.
    """

    ALLOW_SELECT = True

    COMPONENT_CLASSES = {
        "reader-view--cursor",
        "reader-view--selection",
        "reader-view--search-match",
        "reader-view--passage-valuable",
        "reader-view--passage-not",
        "reader-view--passage-unsure",
        "reader-view--passage-none",
    }

    DEFAULT_CSS = """
    ReaderView {
        background: $surface;
        color: $text;
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-gutter: stable;
        & > .reader-view--cursor { background: $accent; color: $text; }
        & > .reader-view--selection { background: $primary 55%; }
        & > .reader-view--search-match { background: $warning 70%; color: $text; }
        & > .reader-view--passage-valuable { background: $success 30%; }
        & > .reader-view--passage-not { background: $error 25%; }
        & > .reader-view--passage-unsure { background: $warning 25%; }
        & > .reader-view--passage-none { background: $secondary 30%; }
    }
    """

    BINDINGS = [
        Binding("up,k", "cursor_up", "Line up", show=False, id="reader.cursor_up"),
        Binding("down,j", "cursor_down", "Line down", show=False, id="reader.cursor_down"),
        Binding("left,h", "cursor_left", "Char left", show=False, id="reader.cursor_left"),
        Binding("right,l", "cursor_right", "Char right", show=False, id="reader.cursor_right"),
        Binding("pageup", "page_up", "Page up", show=False, id="reader.page_up"),
        Binding("pagedown,space", "page_down", "Page down", show=False, id="reader.page_down"),
        Binding("home,g", "book_start", "Start", show=False, id="reader.book_start"),
        Binding("end,G", "book_end", "End", show=False, id="reader.book_end"),
        Binding("w", "word_forward", "Word end", show=False, id="reader.word_forward"),
        Binding("b", "word_back", "Word start", show=False, id="reader.word_back"),
        Binding(")", "sentence_forward", "Sentence end", show=False, id="reader.sentence_forward"),
        Binding("(", "sentence_back", "Sentence start", show=False, id="reader.sentence_back"),
        Binding("}", "paragraph_forward", "Paragraph end", show=False, id="reader.paragraph_forward"),
        Binding("{", "paragraph_back", "Paragraph start", show=False, id="reader.paragraph_back"),
        Binding("v", "mark", "Mark", id="reader.mark"),
        Binding("enter,m", "make_passage", "Make passage", id="reader.make_passage"),
        Binding("escape", "cancel_selection", "Cancel", id="reader.cancel_selection"),
        Binding("n", "search_next", "Next match", id="reader.search_next"),
        Binding("N", "search_prev", "Prev match", id="reader.search_prev"),
        Binding("]", "passage_next", "Next passage", id="reader.passage_next"),
        Binding("[", "passage_prev", "Prev passage", id="reader.passage_prev"),
    ]

    class PositionChanged(Message):
        """The paragraph and char at the top of the view changed (bursts coalesce)."""

        def __init__(self, paragraph: int, char: int) -> None:
            super().__init__()
            self.paragraph = paragraph
            self.char = char

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ReaderView.PositionChanged)

    class SelectionMade(Message):
        """The user asked to make the selected span `[start, end)` of the text a passage."""

        def __init__(self, start: int, end: int) -> None:
            super().__init__()
            self.start = start
            self.end = end

    class CursorPassageChanged(Message):
        """The cursor entered or left a passage (`passage_id` None: no passage under it)."""

        def __init__(self, passage_id: int | None) -> None:
            super().__init__()
            self.passage_id = passage_id

    def __init__(
        self,
        book_text: BookText,
        passages: Iterable[Passage] = (),
        measure: int = 72,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.book_text = book_text
        self.measure = max(10, measure)
        self._text = book_text.text
        self._spans: list[tuple[int, int]] = list(book_text.paragraphs)
        self._layout = ReaderLayout(self._text, self._spans, self.measure)
        self._anchor = Anchor(0, 0)
        self._cursor = 0
        self._goal_cells: int | None = None  # column kept by up/down moves
        self._mark: int | None = None
        self._mouse_span: tuple[int, int] | None = None
        self._query = ""
        self._matches: list[int] = []
        self._passages = PassageIndex()
        self._cursor_passage_id: int | None = None
        self._look = 0  # bumped when the width or the styles change: every line looks different
        self._strips: LRUCache[tuple[int, int, int], Strip] = LRUCache(1024)
        self._styles: dict[str, Style] = {}
        self._syncing = False
        self._laid_out = False
        self._margin = 0
        self._view_width = 0
        self.set_passages(passages, notify=False)

    # --- public API ------------------------------------------------------------

    @property
    def layout_model(self) -> ReaderLayout:
        """The layout (heights, wraps) behind the view; read-only use (tests, benchmarks)."""
        return self._layout

    @property
    def position(self) -> tuple[int, int]:
        """`(paragraph, char)` at the top of the view: the reading position to save."""
        return self._anchor.paragraph, self._anchor.char

    @property
    def cursor_offset(self) -> int:
        """The cursor as an offset into the book's text."""
        return self._cursor

    @property
    def cursor_passage(self) -> Passage | None:
        """The passage under the cursor (the shortest one where passages overlap)."""
        return self._passages.at(self._cursor)

    @property
    def selection_span(self) -> tuple[int, int] | None:
        """`[start, end)` of the keyboard selection, else of the mouse selection, else None."""
        if self._mark is not None:
            start, end = sorted((self._mark, self._cursor))
            return (start, end) if end > start else None
        return self._mouse_span

    @property
    def search_matches(self) -> Sequence[int]:
        """Start offsets of the current search's matches."""
        return self._matches

    def go_to(self, paragraph: int, char: int = 0) -> None:
        """Put `char` of `paragraph` at the top of the view, with the cursor on it."""
        if not self._spans:
            return
        paragraph = min(max(paragraph, 0), len(self._spans) - 1)
        start, end = self._spans[paragraph]
        char = min(max(char, 0), end - start)
        self._cursor = start + char
        self._goal_cells = None
        self._show(Anchor(paragraph, char))
        self._cursor_moved()

    def go_to_percent(self, percent: float) -> None:
        """Go to `percent` (0-100) of the book, measured in characters."""
        percent = min(max(percent, 0.0), 100.0)
        offset = int(len(self._text) * percent / 100.0)
        paragraph, char = self._layout.position_of(offset)
        self.go_to(paragraph, char)

    def move_cursor(self, offset: int) -> None:
        """Put the cursor on a text offset, scrolling only as far as needed to show it."""
        self._move_cursor(offset)

    def go_to_offset(self, offset: int) -> None:
        """Go to a text offset (the line holding it comes to the top)."""
        paragraph, char = self._layout.position_of(offset)
        self.go_to(paragraph, char)

    def search(self, query: str) -> int:
        """Find `query` (case-insensitive) in the whole book, highlight the matches, go to the first one at or after the cursor.

        Returns:
            The number of matches.
        """
        self._query = query
        self._matches = motion.find_all(self._text, query)
        self._changed()
        target = motion.next_match(self._matches, self._cursor)
        if target is not None:
            self._move_cursor(target)
        return len(self._matches)

    def search_next(self) -> None:
        """Move to the next match after the cursor (wrapping to the first)."""
        target = motion.next_match(self._matches, self._cursor + 1)
        if target is not None:
            self._move_cursor(target)

    def search_prev(self) -> None:
        """Move to the match before the cursor (wrapping to the last)."""
        target = motion.prev_match(self._matches, self._cursor)
        if target is not None:
            self._move_cursor(target)

    def set_passages(self, passages: Iterable[Passage], notify: bool = True) -> None:
        """Replace the passages drawn highlighted (call after any passage is added, changed or deleted)."""
        self._passages = PassageIndex(passages)
        self._changed()
        if notify:
            self._check_cursor_passage()

    def jump_passage(self, direction: int) -> bool:
        """Move the cursor to the start of the next (`direction` > 0) or previous passage.

        Returns:
            False when there is no passage that way.
        """
        if direction > 0:
            passage = self._passages.next_after(self._cursor)
        else:
            passage = self._passages.previous_before(self._cursor)
        if passage is None:
            return False
        self._move_cursor(passage.start)
        return True

    def clear_selection(self) -> None:
        """Drop the keyboard mark and the mouse selection."""
        self._mark = None
        if self._mouse_span is not None or (self.is_attached and self.text_selection is not None):
            self._mouse_span = None
            if self.is_attached:
                self.screen.clear_selection()
        self._changed()
        self.refresh_bindings()

    # --- geometry and scrolling -------------------------------------------------

    def _view_height(self) -> int:
        return max(1, self.scrollable_content_region.height)

    def _wrap_width(self, view_width: int) -> int:
        if view_width >= self.measure + 2:
            return self.measure
        return max(1, view_width - 2)

    def on_mount(self) -> None:
        super().on_mount()
        self._check_cursor_passage()

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()

    def _relayout(self) -> None:
        view_width = self.scrollable_content_region.width
        if view_width <= 0:
            return
        mouse_span = self._mouse_span
        wrap_width = self._wrap_width(view_width)
        self._layout.set_width(wrap_width)
        self._view_width = view_width
        self._margin = (view_width - wrap_width) // 2
        self._laid_out = True
        self._look += 1
        self._changed()
        self._show(self._anchor)
        if mouse_span is not None:
            self._reselect(*mouse_span)

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
            self.post_message(self.PositionChanged(anchor.paragraph, anchor.char))

    def _scroll_lines(self, lines: int) -> None:
        top = self._layout.y_of_anchor(self._anchor)
        target = max(0, top + lines)
        self._show(self._layout.anchor_at(target))

    def _reveal_cursor(self) -> None:
        """Scroll the least that shows the cursor; a far jump brings its line to the top."""
        if not self._spans:
            return
        if not self._laid_out:
            paragraph, char = self._layout.position_of(self._cursor)
            self._set_anchor(Anchor(paragraph, char))
            return
        layout = self._layout
        height = self._view_height()
        cursor_y = layout.y_of_offset(self._cursor)
        top = layout.y_of_anchor(self._anchor)  # after: wrapping the cursor's paragraph may move it
        if top <= cursor_y < top + height:
            return
        if top - height <= cursor_y < top:
            self._show(layout.anchor_at(cursor_y))
        elif top + height <= cursor_y < top + 2 * height:
            self._show(layout.anchor_at(cursor_y - height + 1))
        else:
            paragraph, char = layout.position_of(self._cursor)
            line = layout.line_of(paragraph, char)
            self._show(Anchor(paragraph, layout.lines(paragraph)[line]))

    # --- the cursor ----------------------------------------------------------------

    def _move_cursor(self, offset: int, keep_goal: bool = False) -> None:
        self._cursor = min(max(offset, 0), len(self._text))
        if not keep_goal:
            self._goal_cells = None
        self._reveal_cursor()
        self._cursor_moved()

    def _cursor_moved(self) -> None:
        self._changed()
        self._check_cursor_passage()
        if self._mark is not None:
            self.refresh_bindings()

    def _check_cursor_passage(self) -> None:
        passage = self._passages.at(self._cursor)
        passage_id = passage.id if passage is not None else None
        if passage_id != self._cursor_passage_id:
            self._cursor_passage_id = passage_id
            self.post_message(self.CursorPassageChanged(passage_id))

    def _cursor_line(self) -> tuple[int, int, int, int]:
        """`(paragraph, line, line_start, line_end)` of the cursor."""
        paragraph, char = self._layout.position_of(self._cursor)
        line = self._layout.line_of(paragraph, char)
        start, end = self._layout.line_span(paragraph, line)
        return paragraph, line, start, end

    def _offset_at_cells(self, paragraph: int, line: int, cells: int) -> int:
        """Offset on a line nearest `cells` cells from its start (never past the line)."""
        start, end = self._layout.line_span(paragraph, line)
        last_line = line == self._layout.line_total(paragraph) - 1
        limit = end if last_line else max(start, end - 1)
        used = 0
        offset = start
        while offset < limit:
            size = char_cells(self._text[offset])
            if used + size > cells:
                break
            used += size
            offset += 1
        return offset

    def _cursor_vertical(self, lines: int) -> None:
        if not self._spans:
            return
        paragraph, line, start, _ = self._cursor_line()
        if self._goal_cells is None:
            self._goal_cells = text_cells(self._text[start : self._cursor])
        step = 1 if lines > 0 else -1
        for _ in range(abs(lines)):
            if step > 0:
                if line + 1 < self._layout.line_total(paragraph):
                    line += 1
                elif paragraph + 1 < len(self._spans):
                    paragraph, line = paragraph + 1, 0
                else:
                    break
            else:
                if line > 0:
                    line -= 1
                elif paragraph > 0:
                    paragraph -= 1
                    line = self._layout.line_total(paragraph) - 1
                else:
                    break
        self._move_cursor(self._offset_at_cells(paragraph, line, self._goal_cells), keep_goal=True)

    def action_cursor_up(self) -> None:
        self._cursor_vertical(-1)

    def action_cursor_down(self) -> None:
        self._cursor_vertical(1)

    def action_cursor_left(self) -> None:
        self._move_cursor(self._cursor - 1)

    def action_cursor_right(self) -> None:
        self._move_cursor(self._cursor + 1)

    def action_page_down(self) -> None:
        self._page(1)

    def action_page_up(self) -> None:
        self._page(-1)

    def _page(self, direction: int) -> None:
        """Scroll a page, keeping the cursor on the same screen row and column."""
        height = self._view_height()
        if not self._laid_out or not self._spans:
            return
        layout = self._layout
        top_before = layout.y_of_anchor(self._anchor)
        cursor_row = layout.y_of_offset(self._cursor) - layout.y_of_anchor(self._anchor)
        cursor_row = min(max(cursor_row, 0), height - 1)
        _, _, start, _ = self._cursor_line()
        if self._goal_cells is None:
            self._goal_cells = text_cells(self._text[start : self._cursor])
        self._scroll_lines(direction * max(1, height - 1))
        top = layout.y_of_anchor(self._anchor)
        if top == top_before:  # already at the end: move the cursor to the last/first line instead
            self._cursor_vertical(direction * height)
            return
        paragraph, line = layout.locate(top + cursor_row)
        if paragraph >= len(self._spans):
            paragraph = len(self._spans) - 1
            line = layout.line_total(paragraph) - 1
        line = min(line, layout.line_total(paragraph) - 1)  # the blank line: the one above
        self._cursor = self._offset_at_cells(paragraph, line, self._goal_cells)
        self._cursor_moved()

    def action_book_start(self) -> None:
        self.go_to(0, 0)

    def action_book_end(self) -> None:
        self._move_cursor(self._spans[-1][1] if self._spans else 0)

    def action_word_forward(self) -> None:
        self._move_cursor(motion.next_word_end(self._text, self._cursor))

    def action_word_back(self) -> None:
        self._move_cursor(motion.prev_word_start(self._text, self._cursor))

    def action_sentence_forward(self) -> None:
        starts = self._layout.starts
        self._move_cursor(motion.next_sentence_end(self._text, self._spans, starts, self._cursor))

    def action_sentence_back(self) -> None:
        starts = self._layout.starts
        self._move_cursor(motion.prev_sentence_start(self._text, self._spans, starts, self._cursor))

    def action_paragraph_forward(self) -> None:
        self._move_cursor(motion.next_paragraph_end(self._spans, self._layout.starts, self._cursor))

    def action_paragraph_back(self) -> None:
        self._move_cursor(motion.prev_paragraph_start(self._spans, self._layout.starts, self._cursor))

    def action_search_next(self) -> None:
        self.search_next()

    def action_search_prev(self) -> None:
        self.search_prev()

    def action_passage_next(self) -> None:
        self.jump_passage(1)

    def action_passage_prev(self) -> None:
        self.jump_passage(-1)

    # --- selections ----------------------------------------------------------------

    def action_mark(self) -> None:
        """Start a keyboard selection at the cursor (again: drop it)."""
        if self._mark is None:
            if self._mouse_span is not None:
                self.screen.clear_selection()
            self._mark = self._cursor
        else:
            self._mark = None
        self._changed()
        self.refresh_bindings()

    def action_make_passage(self) -> None:
        """Post `SelectionMade` for the keyboard (else mouse) selection and clear it."""
        span = self.selection_span
        if span is None:
            return
        self.post_message(self.SelectionMade(*span))
        self.clear_selection()

    def action_cancel_selection(self) -> None:
        self.clear_selection()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "make_passage":
            return self.selection_span is not None
        if action == "cancel_selection":
            return self._mark is not None or self._mouse_span is not None
        if action in ("search_next", "search_prev"):
            return bool(self._matches)
        return True

    def _line_key(self, paragraph: int, line: int) -> int:
        return paragraph * LINE_KEY_STRIDE + line

    def _offset_of_point(self, point: Offset) -> int:
        """Text offset of a selection point (`x` char in the line, `y` a line key)."""
        paragraph, line = divmod(point.y, LINE_KEY_STRIDE)
        if paragraph >= len(self._spans):
            return len(self._text)
        start, end = self._layout.line_span(paragraph, line)
        return min(start + max(point.x, 0), end)

    def _point_of_offset(self, offset: int) -> Offset:
        paragraph, char = self._layout.position_of(offset)
        line = self._layout.line_of(paragraph, char)
        start, _ = self._layout.line_span(paragraph, line)
        return Offset(offset - start, self._line_key(paragraph, line))

    def _visible_span(self) -> tuple[int, int]:
        top = round(self.scroll_y)
        first, _ = self._visible_line_span(top)
        _, last = self._visible_line_span(top + self._view_height() - 1)
        return first, last

    def _visible_line_span(self, y: int) -> tuple[int, int]:
        paragraph, line = self._layout.locate(y)
        if paragraph >= len(self._spans):
            return len(self._text), len(self._text)
        return self._layout.line_span(paragraph, line)

    def _span_of_selection(self, selection: Selection) -> tuple[int, int] | None:
        visible_start, visible_end = self._visible_span()
        start = visible_start if selection.start is None else self._offset_of_point(selection.start)
        end = visible_end if selection.end is None else self._offset_of_point(selection.end)
        start, end = sorted((start, end))
        return (start, end) if end > start else None

    def selection_updated(self, selection: Selection | None) -> None:
        self._mouse_span = None if selection is None else self._span_of_selection(selection)
        if self._mouse_span is not None:
            self._mark = None
        self._changed()
        self.refresh_bindings()

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        span = self._span_of_selection(selection)
        if span is None:
            return None
        return self._text[span[0] : span[1]], "\n"

    def _reselect(self, start: int, end: int) -> None:
        """Re-express a mouse selection in the new line keys after a rewrap."""
        selections = dict(self.screen.selections)
        selections[self] = Selection(self._point_of_offset(start), self._point_of_offset(end))
        self.screen.selections = selections
        self._mouse_span = (start, end)

    def on_click(self, event: events.Click) -> None:
        widget, offset = self.screen.get_widget_and_offset_at(event.screen_x, event.screen_y)
        if widget is self and offset is not None:
            self._move_cursor(self._offset_of_point(offset))

    # --- rendering -------------------------------------------------------------------

    def _changed(self) -> None:
        """Repaint; lines whose overlays did not change come from the strip cache."""
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._look += 1
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

    def render_line(self, y: int) -> Strip:
        return self._render_virtual_line(round(self.scroll_y) + y)

    def _render_virtual_line(self, virtual_y: int) -> Strip:
        """The strip of one virtual line, cached by what decides its look.

        The key holds the line's overlays (passages, matches, selections, cursor
        clipped to the line), so moving the cursor rebuilds the two lines it
        leaves and enters, not the page.
        """
        layout = self._layout
        paragraph, line = layout.locate(virtual_y)
        if paragraph >= len(self._spans) or line >= layout.line_total(paragraph):
            key: tuple = (paragraph, line, self._look)
            strip = self._strips.get(key)
            if strip is None:
                line_key = self._line_key(paragraph, line)
                strip = blank_line(max(self._view_width, 1), self._base_style(), line_key)
                self._strips[key] = strip
            return strip
        start, end = layout.line_span(paragraph, line)
        caret_after = self._cursor == end == self._spans[paragraph][1]
        overlays = tuple(self._overlays(start, end + caret_after))
        key = (paragraph, line, self._look, caret_after, overlays)
        strip = self._strips.get(key)
        if strip is None:
            strip = paint_line(
                self._text,
                start,
                end,
                caret_after=caret_after,
                overlays=overlays,
                base=self._base_style(),
                margin=self._margin,
                width=max(self._view_width, 1),
                line_key=self._line_key(paragraph, line),
            )
            self._strips[key] = strip
        return strip

    def _overlays(self, start: int, end: int) -> list[tuple[int, int, Style]]:
        """Styled spans touching `[start, end)`, lowest priority first."""
        overlays: list[tuple[int, int, Style]] = []
        for passage in self._passages.overlapping(start, end):
            overlays.append((passage.start, passage.end, self._style(verdict_component(passage.verdict))))
        if self._matches:
            length = len(self._query)
            first = bisect.bisect_left(self._matches, start - length + 1)
            last = bisect.bisect_left(self._matches, end)
            match_style = self._style("reader-view--search-match")
            for match in self._matches[first:last]:
                overlays.append((match, match + length, match_style))
        if self._mark is not None and self._mark != self._cursor:
            low, high = sorted((self._mark, self._cursor))
            overlays.append((low, high, self._style("reader-view--selection")))
        if self._mouse_span is not None:
            overlays.append((*self._mouse_span, self._style("screen--selection")))
        if self.has_focus or self._mark is not None:
            overlays.append((self._cursor, self._cursor + 1, self._style("reader-view--cursor")))
        return [(max(s, start), min(e, end), style) for s, e, style in overlays if s < end and e > start]

    def on_focus(self) -> None:
        self._changed()

    def on_blur(self) -> None:
        self._changed()
