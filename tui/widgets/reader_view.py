"""The book reader: a cursor, selections, search and passages on a lazily wrapped book.

`BookScrollView` (reader_scroll.py) scrolls and paints the book the toolong way (with the
finder's marks in the margin); `ReaderCursor` (reader_cursor.py) knows where keys move the
cursor and what each line is overlaid with.  This widget joins them to keys, the mouse and
messages.  Everything the user can point at, the reading position, the cursor, a keyboard or
mouse selection, passages and search matches, is held as text offsets or `(paragraph, char)`,
never as line numbers, so it survives a resize exactly.

Mouse selection uses Textual's own text selection: each rendered line carries
`Strip.apply_offsets(x, key)` metadata where `key` names the line as `ReaderLayout.line_key`
(stable while other paragraphs' estimates are corrected) and `x` is the character within the
line (negative in the left margin), so the selection maps straight back to text offsets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

from textual import events
from textual.binding import Binding
from textual.geometry import Offset
from textual.message import Message
from textual.reactive import var
from textual.selection import Selection

from tui.widgets.reader_cursor import ReaderCursor
from tui.widgets.reader_layout import Anchor
from tui.widgets.reader_paint import Overlay
from tui.widgets.reader_scroll import BookScrollView

if TYPE_CHECKING:
    from books.model import BookText
    from store.records import Passage


class ReaderView(BookScrollView, can_focus=True, inherit_bindings=False):
    """Reads a `BookText`: lazily wrapped, centred, with a cursor, selections, passages and search.

    Args:
        book_text: The book (its normalized text and paragraph spans).
        passages: Passages of this book to draw highlighted (`.id .start .end .verdict`).
        measure: The readable width in cells; narrower when the widget is narrower.
    """

    ALLOW_SELECT = True
    cursor_paragraph = var(-1)  # the cursor's paragraph, watched by the reader (the finder's note follows it)

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

    class SearchWrapped(Message):
        """A search move went past the end of the book to the start (`forward`) or past the start to the end."""

        def __init__(self, forward: bool) -> None:
            super().__init__()
            self.forward = forward

    def __init__(
        self,
        book_text: BookText,
        passages: Iterable[Passage] = (),
        measure: int = 72,
        **kwargs: Any,
    ) -> None:
        super().__init__(book_text, measure, **kwargs)
        self._at = ReaderCursor(self._text, self._spans, self._layout)  # cursor, mark, search, passages
        self._mouse_span: tuple[int, int] | None = None
        self._cursor_passage_id: int | None = None
        self.set_passages(passages, notify=False)

    # --- public API ------------------------------------------------------------

    @property
    def cursor_offset(self) -> int:
        """The cursor as an offset into the book's text."""
        return self._at.offset

    @property
    def cursor_passage(self) -> Passage | None:
        """The passage under the cursor (the shortest one where passages overlap)."""
        return self._at.passages.at(self._at.offset)  # type: ignore[return-value]

    @property
    def selection_span(self) -> tuple[int, int] | None:
        """`[start, end)` of the keyboard selection, else of the mouse selection, else None."""
        if self._at.mark is not None:
            return self._at.keyboard_span()
        return self._mouse_span

    @property
    def search_matches(self) -> Sequence[int]:
        """Start offsets of the current search's matches."""
        return self._at.matches

    def go_to(self, paragraph: int, char: int = 0) -> None:
        """Put `char` of `paragraph` at the top of the view, with the cursor on it."""
        if not self._spans:
            return
        paragraph = min(max(paragraph, 0), len(self._spans) - 1)
        start, end = self._spans[paragraph]
        char = min(max(char, 0), end - start)
        self._at.place(start + char)
        self._show(Anchor(paragraph, char))
        self._cursor_moved()

    def go_to_percent(self, percent: float) -> None:
        """Go to `percent` (0-100) of the book, measured in characters."""
        percent = min(max(percent, 0.0), 100.0)
        self.go_to_offset(int(len(self._text) * percent / 100.0))

    def move_cursor(self, offset: int) -> None:
        """Put the cursor on a text offset, scrolling only as far as needed to show it."""
        self._move_cursor(offset)

    def go_to_offset(self, offset: int) -> None:
        """Go to a text offset (the line holding it comes to the top)."""
        self.go_to(*self._layout.position_of(offset))

    def go_to_paragraph(self, paragraph: int) -> None:
        """Put the cursor at the start of `paragraph` and the paragraph in the middle of the view."""
        if self._spans:
            start, end = self._spans[min(max(paragraph, 0), len(self._spans) - 1)]
            self._at.place(start)
            self._centre_span(start, end)
            self._cursor_moved()

    def search(self, query: str) -> int:
        """Find `query` (case-insensitive) in the whole book, highlight the matches, go to the first one at or after the cursor.

        Returns:
            The number of matches.
        """
        here = self._at.offset
        target = self._at.search(query)
        self._changed()
        if target is not None:
            self._go_to_match(target, wrapped=target < here)
        return len(self._at.matches)

    def search_next(self) -> None:
        """Move to the next match after the cursor (wrapping to the first)."""
        target = self._at.match_target(1)
        if target is not None:
            self._go_to_match(target, wrapped=target <= self._at.offset)

    def search_prev(self) -> None:
        """Move to the match before the cursor (wrapping to the last)."""
        target = self._at.match_target(-1)
        if target is not None:
            self._go_to_match(target, wrapped=target >= self._at.offset, forward=False)

    def _go_to_match(self, target: int, wrapped: bool, forward: bool = True) -> None:
        """Put the cursor on a match, its line in the middle of the view, and say when the search wrapped.

        In the middle, not at an edge: the bottom edge is where notifications appear,
        and a match there sat under the toast that announced it (issue 18).
        """
        self._at.place(target)
        self._centre_on(target)
        self._cursor_moved()
        if wrapped:
            self.post_message(self.SearchWrapped(forward))

    def set_passages(self, passages: Iterable[Passage], notify: bool = True) -> None:
        """Replace the passages drawn highlighted (call after any passage is added, changed or deleted)."""
        self._at.set_passages(passages)
        self._changed()
        if notify:
            self._check_cursor_passage()

    def jump_passage(self, direction: int) -> bool:
        """Move the cursor to the start of the next (`direction` > 0) or previous passage.

        Returns:
            False when there is no passage that way.
        """
        return self._move_to(self._at.passage_target(direction))

    def clear_selection(self) -> None:
        """Drop the keyboard mark and the mouse selection."""
        self._at.mark = None
        if self._mouse_span is not None or (self.is_attached and self.text_selection is not None):
            self._mouse_span = None
            if self.is_attached:
                self.screen.clear_selection()
        self._changed()
        self.refresh_bindings()

    # --- scrolling ---------------------------------------------------------------------

    def on_mount(self) -> None:
        super().on_mount()  # type: ignore[no-untyped-call]  # ScrollView's handler is not annotated
        self._check_cursor_passage()

    def _relayout(self) -> bool:
        mouse_span = self._mouse_span
        laid_out = super()._relayout()
        if laid_out and mouse_span is not None:
            self._reselect(*mouse_span)
        return laid_out

    def _anchor_moved(self, anchor: Anchor) -> None:
        self.post_message(self.PositionChanged(anchor.paragraph, anchor.char))

    def _reveal_cursor(self) -> None:
        """Scroll the least that shows the cursor; a far jump brings its line to the top."""
        if not self._spans:
            return
        if not self._laid_out:
            paragraph, char = self._layout.position_of(self._at.offset)
            self._set_anchor(Anchor(paragraph, char))
            return
        layout = self._layout
        height = self._view_height()
        cursor_y = layout.y_of_offset(self._at.offset)
        top = layout.y_of_anchor(self._anchor)  # after: wrapping the cursor's paragraph may move it
        if top <= cursor_y < top + height:
            return
        if top - height <= cursor_y < top:
            self._show(layout.anchor_at(cursor_y))
        elif top + height <= cursor_y < top + 2 * height:
            self._show(layout.anchor_at(cursor_y - height + 1))
        else:
            paragraph, line, start, _ = self._at.line()
            self._show(Anchor(paragraph, start - self._spans[paragraph][0]))

    # --- the cursor ----------------------------------------------------------------

    def _move_cursor(self, offset: int, keep_goal: bool = False) -> None:
        self._at.place(offset, keep_goal)
        self._reveal_cursor()
        self._cursor_moved()

    def _move_to(self, offset: int | None) -> bool:
        """Move the cursor to `offset` when there is one; False when there is not."""
        if offset is None:
            return False
        self._move_cursor(offset)
        return True

    def _cursor_moved(self) -> None:
        self._changed()
        self._check_cursor_passage()
        if self._at.mark is not None:
            self.refresh_bindings()

    def _check_cursor_passage(self) -> None:
        self.cursor_paragraph = self._layout.position_of(self._at.offset)[0]  # watchers run when it changes
        passage = self._at.passages.at(self._at.offset)
        passage_id = passage.id if passage is not None else None
        if passage_id != self._cursor_passage_id:
            self._cursor_passage_id = passage_id
            self.post_message(self.CursorPassageChanged(passage_id))

    def _cursor_vertical(self, lines: int) -> None:
        if self._spans:
            self._move_cursor(self._at.vertical_target(lines), keep_goal=True)

    def action_cursor_up(self) -> None:
        self._cursor_vertical(-1)

    def action_cursor_down(self) -> None:
        self._cursor_vertical(1)

    def action_cursor_left(self) -> None:
        self._move_cursor(self._at.offset - 1)

    def action_cursor_right(self) -> None:
        self._move_cursor(self._at.offset + 1)

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
        cursor_row = layout.y_of_offset(self._at.offset) - layout.y_of_anchor(self._anchor)
        cursor_row = min(max(cursor_row, 0), height - 1)
        cells = self._at.column()
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
        self._at.place(self._at.offset_at_cells(paragraph, line, cells), keep_goal=True)
        self._cursor_moved()

    def action_book_start(self) -> None:
        self.go_to(0, 0)

    def action_book_end(self) -> None:
        self._move_cursor(self._spans[-1][1] if self._spans else 0)

    def action_word_forward(self) -> None:
        self._move_cursor(self._at.motion_target("word_forward"))

    def action_word_back(self) -> None:
        self._move_cursor(self._at.motion_target("word_back"))

    def action_sentence_forward(self) -> None:
        self._move_cursor(self._at.motion_target("sentence_forward"))

    def action_sentence_back(self) -> None:
        self._move_cursor(self._at.motion_target("sentence_back"))

    def action_paragraph_forward(self) -> None:
        self._move_cursor(self._at.motion_target("paragraph_forward"))

    def action_paragraph_back(self) -> None:
        self._move_cursor(self._at.motion_target("paragraph_back"))

    action_search_next = search_next
    action_search_prev = search_prev

    def action_passage_next(self) -> None:
        self.jump_passage(1)

    def action_passage_prev(self) -> None:
        self.jump_passage(-1)

    # --- selections ----------------------------------------------------------------

    def action_mark(self) -> None:
        """Start a keyboard selection at the cursor (again: drop it)."""
        if self._at.mark is None:
            if self._mouse_span is not None:
                self.screen.clear_selection()
            self._at.mark = self._at.offset
        else:
            self._at.mark = None
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
            return self._at.mark is not None or self._mouse_span is not None
        if action in ("search_next", "search_prev"):
            return bool(self._at.matches)
        return True

    def _offset_of_point(self, point: Offset) -> int:
        """Text offset of a selection point (`x` char in the line, `y` a line key)."""
        return self._layout.offset_at_key(point.x, point.y)

    def _point_of_offset(self, offset: int) -> Offset:
        return Offset(*self._layout.key_of_offset(offset))

    def _visible_span(self) -> tuple[int, int]:
        top = round(self.scroll_y)
        first, _ = self._layout.span_at(top)
        _, last = self._layout.span_at(top + self._view_height() - 1)
        return first, last

    def _span_of_selection(self, selection: Selection) -> tuple[int, int] | None:
        visible_start, visible_end = self._visible_span()
        start = visible_start if selection.start is None else self._offset_of_point(selection.start)
        end = visible_end if selection.end is None else self._offset_of_point(selection.end)
        start, end = sorted((start, end))
        return (start, end) if end > start else None

    def selection_updated(self, selection: Selection | None) -> None:
        self._mouse_span = None if selection is None else self._span_of_selection(selection)
        if self._mouse_span is not None:
            self._at.mark = None
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

    def _cursor_offset(self) -> int:
        return self._at.offset

    def _overlays(self, start: int, end: int) -> list[Overlay]:
        show_cursor = self.has_focus or self._at.mark is not None
        return self._at.overlays(start, end, self._style, self._mouse_span, show_cursor)

    def on_focus(self) -> None:
        self._changed()

    def on_blur(self) -> None:
        self._changed()
