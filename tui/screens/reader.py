"""The Reader screen: a book in the `ReaderView`, the tagging sidebar beside it, and the keys around them.

The view (tui/widgets/reader_view.py) draws the text, moves the cursor and makes
selections; this screen turns what it reports into stored changes: a finished
selection becomes a passage (`core.passages.create_passage`), the cursor's
passage goes to the sidebar, and the reading position is written per book,
debounced, so scrolling does not write on every line but quitting loses nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from tui.screens.base import StudioScreen
from tui.widgets.deliberate_confirm import DeliberateConfirmModal
from tui.widgets.finder_reader import SUGGESTION_BINDINGS, ReaderSuggestions, SuggestionsModal, SuggestionsReady
from tui.widgets.modals import PromptModal
from tui.widgets.reader_chapters import ChapterModal, chapter_label
from tui.widgets.reader_status import ReaderStatus
from tui.widgets.reader_view import ReaderView
from tui.widgets.reader_words import extend_end, parse_percent, trim_end
from tui.widgets.tag_sidebar import TagSidebar, load_template_hints

if TYPE_CHECKING:
    from books.model import BookText
    from store import Book, Passage

NO_BOOK = "No book is open. Press 1 for the Library, choose a book and press Enter to read it here."
POSITION_SAVE_DELAY_S = 0.5
# Below this many columns the sidebar hides by itself (80 columns left a 36-column text): `s` shows it.
NARROW_COLUMNS = 100

__all__ = ["NARROW_COLUMNS", "NO_BOOK", "ReaderScreen", "extend_end", "parse_percent", "trim_end"]


class ReaderScreen(StudioScreen):
    """Read a book, make passages, tag them."""

    SCREEN_ID = "reader"
    BINDING_SOURCES = (ReaderView, TagSidebar, SuggestionsModal)
    BINDINGS = [
        Binding("c", "toc", "Chapters", id="reader.toc"),
        Binding("percent_sign", "go_to_percent", "Go to %", id="reader.goto_percent"),
        Binding("slash", "search", "Search", id="reader.search"),
        Binding("greater_than_sign", "resize_passage(1)", "Extend passage by a word", id="reader.passage_extend",
                show=False),
        Binding("less_than_sign", "resize_passage(-1)", "Shrink passage by a word", id="reader.passage_shrink",
                show=False),
        Binding("D", "delete_passage", "Delete passage", id="reader.passage_delete", show=False),
        Binding("plus", "verdict('valuable')", "Valuable", id="reader.verdict_valuable"),
        Binding("minus", "verdict('not')", "Not valuable", id="reader.verdict_not"),
        Binding("equals_sign", "verdict('unsure')", "Unsure", id="reader.verdict_unsure"),
        Binding("p", "tag_field('phenomenology')", "Phenomenology", id="reader.tag_phenomenology", show=False),
        Binding("t", "tag_field('tags')", "Tags", id="reader.tag_tags"),
        Binding("e", "tag_field('note')", "Note (why)", id="reader.tag_note", show=False),
        Binding("T", "tag_field('templates')", "Templates", id="reader.tag_templates", show=False),
        Binding("s", "toggle_sidebar", "Sidebar", id="reader.sidebar",
                tooltip="Hide or show the tagging sidebar (it hides by itself under 100 columns)"),
        *SUGGESTION_BINDINGS,  # f F S a x: the finder's suggestions (tui/widgets/finder_reader.py)
    ]

    class BookLoaded(Message):
        """A book's text was read from the library (posted by the loading worker)."""

        def __init__(self, book: "Book", book_text: "BookText", passages: list["Passage"],
                     position: tuple[int, int]) -> None:
            super().__init__()
            self.book = book
            self.book_text = book_text
            self.passages = passages
            self.position = position

    def __init__(self) -> None:
        super().__init__()
        self.book_id: Optional[int] = None
        self.book: Optional["Book"] = None
        self.book_text: Optional["BookText"] = None
        self._pending: Optional[tuple[int, Optional[int]]] = None
        self._position: Optional[tuple[int, int]] = None
        self._saved_position: Optional[tuple[int, int]] = None
        self._save_timer: Optional[Timer] = None
        # None: the sidebar follows the terminal's width; True/False: the user chose with `s`.
        self._sidebar_chosen: Optional[bool] = None
        self._sidebar_for_edit = False  # shown only because a tagging key asked for a field
        self._restore_cursor: Optional[int] = None  # the cursor of the last session, put back on load
        self._saved_cursor: Optional[tuple[int, int]] = None  # (book, cursor) last written to the ui state
        self.suggestions = ReaderSuggestions(self)  # the finder's marks and keys

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Horizontal(id="reader-body"):
            with Vertical(id="reader-pane"):
                yield Static(NO_BOOK, id="reader-placeholder", markup=False)
                yield ReaderStatus(id="reader-status")
            yield TagSidebar(id="tag-sidebar")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self._fit_sidebar(self.app.size.width)  # the screen has no size of its own before its first layout
        self.sidebar.set_templates(*load_template_hints(self.studio.project))
        self._refresh_tag_counts()
        if self._pending is None:
            self._reopen_last_book()
        if self._pending is not None:
            self._start_loading(*self._pending)

    def _reopen_last_book(self) -> None:
        """Open the book read in the last session, top line and cursor where they were (issue 18)."""
        state = self.studio.ui_state
        book_id = state.get_int(self.SCREEN_ID, "book")
        if book_id is None or self.studio.db.books.find(book_id) is None:
            return  # none yet, or deleted since: the screen says how to open one
        self._pending = (book_id, None)
        self._restore_cursor = state.get_int(self.SCREEN_ID, "cursor")

    @property
    def view(self) -> Optional[ReaderView]:
        found = self.query(ReaderView)
        return found.first() if found else None

    @property
    def sidebar(self) -> TagSidebar:
        return self.query_one(TagSidebar)

    # ---- opening and closing a book ----------------------------------------------------------

    def open_book(self, book_id: int, offset: Optional[int] = None) -> None:
        """Show `book_id` at `offset` (a character of its text) or at its saved reading position."""
        if book_id == self.book_id and self.book_text is not None and self.view is not None:
            if offset is not None:
                self._go_to_offset(offset)
            self.view.focus()
            return
        self.save_state()
        self._pending = (book_id, offset)
        self._restore_cursor = None  # a book asked for now wins over the one of the last session
        if self.is_mounted:
            self._start_loading(book_id, offset)

    def _start_loading(self, book_id: int, offset: Optional[int]) -> None:
        self.query_one("#reader-placeholder", Static).update("Opening the book\u2026")
        self._load_worker(book_id, offset)

    @work(thread=True, exclusive=True, exit_on_error=False, group="reader-load")
    def _load_worker(self, book_id: int, offset: Optional[int]) -> None:
        from core.library import get_book, load_book_text

        db = self.studio.db
        book = get_book(db, book_id)
        book_text = load_book_text(self.studio.project, book)
        passages = db.passages.for_book(book_id)
        if offset is not None:
            paragraph = book_text.paragraph_at(offset)
            start = book_text.paragraphs[paragraph][0] if book_text.paragraphs else 0
            position = (paragraph, max(0, offset - start))
        else:
            saved = list(book.position or [0, 0]) + [0, 0]
            position = (int(saved[0]), int(saved[1]))
        self.post_message(self.BookLoaded(book, book_text, passages, position))

    @on(BookLoaded)
    async def _book_loaded(self, message: BookLoaded) -> None:
        self._pending = None
        old = self.view
        if old is not None:
            await old.remove()
        self.book, self.book_id, self.book_text = message.book, message.book.id, message.book_text
        self._position = self._saved_position = message.position
        view = ReaderView(message.book_text, message.passages, measure=self.studio.settings.reader.measure,
                          id="reader-view")
        self.query_one("#reader-placeholder").display = False
        await self.query_one("#reader-pane", Vertical).mount(view, before="#reader-status")
        view.focus()
        paragraph, char = message.position
        view.go_to(paragraph, char)
        if self._restore_cursor is not None:
            # After the first layout: before it, moving the cursor brings its line to the top.
            cursor = min(max(self._restore_cursor, 0), len(message.book_text.text))
            self.call_after_refresh(self._put_back_cursor, view, cursor)
        self._show_status()
        self._refresh_tag_counts()  # other screens or the command line may have tagged since
        self.sidebar.show_passage(self._passage(view.cursor_passage.id) if view.cursor_passage else None)
        self.suggestions.book_opened()

    def _put_back_cursor(self, view: ReaderView, cursor: int) -> None:
        self._restore_cursor = None
        if view is self.view:
            view.move_cursor(cursor)

    def close_book(self) -> None:
        """Forget the open book (it was deleted from the library)."""
        self.studio.ui_state.forget(self.SCREEN_ID)
        self._saved_cursor = None
        view = self.view
        if view is not None:
            view.remove()
        self.book = self.book_text = None
        self.book_id = None
        self._position = self._saved_position = None
        placeholder = self.query_one("#reader-placeholder", Static)
        placeholder.update(NO_BOOK)
        placeholder.display = True
        self.query_one("#reader-status", Static).update("")
        self.sidebar.show_passage(None)
        self.suggestions.describe_cursor()  # no book: no finder's note either

    def _go_to_offset(self, offset: int) -> None:
        if self.view is not None:
            self.view.go_to_offset(offset)  # its paragraph and char, the line holding it at the top

    # ---- reading position ---------------------------------------------------------------------

    @on(ReaderView.PositionChanged)
    def _position_changed(self, event: ReaderView.PositionChanged) -> None:
        self._position = (event.paragraph, event.char)
        self._show_status()
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(POSITION_SAVE_DELAY_S, self.save_state)

    def save_state(self) -> None:
        """Write the reading position of the open book if it moved since the last write, and the book and
        cursor to the studio's ui state (so reopening the studio comes back here)."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        self._save_cursor()
        if self.book_id is None or self._position is None or self._position == self._saved_position:
            return
        try:
            self.studio.db.books.set_position(self.book_id, *self._position)
        except Exception as exc:
            self.studio.show_error(exc)
            return
        self._saved_position = self._position

    def _save_cursor(self) -> None:
        view = self.view
        if self.book_id is None or view is None or self._restore_cursor is not None:
            return  # nothing open, or a book still loading: what is stored is still right
        current = (self.book_id, view.cursor_offset)
        if current == self._saved_cursor:
            return
        state = self.studio.ui_state
        state.set(self.SCREEN_ID, "book", current[0])
        state.set(self.SCREEN_ID, "cursor", current[1])
        self.studio.save_ui_state()  # now, not only at exit: a closed terminal runs no exit code
        self._saved_cursor = current

    def on_screen_suspend(self) -> None:
        self.save_state()

    def _show_status(self) -> None:
        status = self.query_one("#reader-status", ReaderStatus)
        if self.book is None or self.book_text is None or self._position is None:
            status.update("")
            return
        status.show(self.book.title, self.book_text, self._position,
                    self.suggestions.ahead(self._position[0]))

    # ---- navigation -------------------------------------------------------------------------

    def _need_book(self) -> Optional[ReaderView]:
        view = self.view
        if view is None:
            self.notify(NO_BOOK)
        return view

    def action_toc(self) -> None:
        view = self._need_book()
        if view is None or self.book_text is None:
            return
        chapters = self.book_text.chapters
        if not chapters:
            self.notify("This book has no chapter headings; press % to go to a place by percent.")
            return
        current = self.book_text.chapter_at(view.position[0])
        titles = [chapter_label(c.title, c.part) for c in chapters]

        def chosen(index: Optional[int]) -> None:
            if index is not None and self.view is not None:
                self.view.go_to(chapters[index].paragraph, 0)
                self.view.focus()

        self.app.push_screen(ChapterModal(titles, current), chosen)

    def action_go_to_percent(self) -> None:
        if self._need_book() is None:
            return

        def answered(value: Optional[str]) -> None:
            percent = parse_percent(value) if value else None
            if percent is not None and self.view is not None:
                self.view.go_to_percent(percent)
                self.view.focus()

        self.app.push_screen(PromptModal(
            "Go to what percent of the book? (0-100)", "e.g. 37",
            validate=lambda text: None if parse_percent(text) is not None else "A number from 0 to 100, e.g. 37.",
        ), answered)

    def action_search(self) -> None:
        if self._need_book() is None:
            return

        def answered(query: Optional[str]) -> None:
            if not query or self.view is None:
                return
            count = self.view.search(query)
            if count:
                self.notify(f"{count} match{'es' if count != 1 else ''} for \u201c{query}\u201d: n next, N previous.",
                            markup=False)
            else:
                self.notify(f"No match for \u201c{query}\u201d.", severity="warning", markup=False)
            self.view.focus()

        self.app.push_screen(PromptModal("Search the book", "words to find"), answered)

    # ---- passages ---------------------------------------------------------------------------

    def _refresh_tag_counts(self) -> None:
        """Give the sidebar every tag in use with its count (completion ranks by use)."""
        self.sidebar.tag_counts = dict(self.studio.db.passages.tag_counts())

    def _passage(self, passage_id: int) -> Optional["Passage"]:
        return self.studio.db.passages.find(passage_id)

    def refresh_passages(self) -> None:
        """Give the view the book's passages as stored (after any change) and refresh the sidebar."""
        view = self.view
        if view is None or self.book_id is None:
            return
        view.set_passages(self.studio.db.passages.for_book(self.book_id))
        self._refresh_tag_counts()  # a deleted passage takes its tags' uses with it
        current = view.cursor_passage
        self.sidebar.show_passage(self._passage(current.id) if current is not None else None)
        self.suggestions.passages_changed()  # taken paragraphs are no longer suggested; verdicts re-rank

    @on(ReaderView.SelectionMade)
    def _selection_made(self, event: ReaderView.SelectionMade) -> None:
        if self.book_id is None:
            return
        from core.passages import create_passage

        try:
            passage = create_passage(self.studio.project, self.studio.db, self.book_id, event.start, event.end)
        except Exception as exc:
            self.studio.show_error(exc)
            return
        self.refresh_passages()
        view = self.view
        if view is not None:
            # Inside the new passage, so the sidebar keeps it when the cursor next moves.
            view.move_cursor(passage.start)
        self.sidebar.show_passage(passage)
        self.notify(f"Passage {passage.id} created ({passage.end - passage.start} chars): "
                    f"tag it with t, give a verdict with + - =.", markup=False)

    @on(ReaderView.CursorPassageChanged)
    def _cursor_passage_changed(self, event: ReaderView.CursorPassageChanged) -> None:
        passage = self._passage(event.passage_id) if event.passage_id is not None else None
        self.sidebar.show_passage(passage)

    @on(TagSidebar.EditRequested)
    def _edit_requested(self, event: TagSidebar.EditRequested) -> None:
        """Store what the sidebar changed, recolour the highlight, and hand the stored record back."""
        from core.passages import update_passage

        db = self.studio.db
        try:
            passage = update_passage(db, event.passage_id, **event.fields)
        except Exception as exc:
            self.studio.show_error(exc)
            self.sidebar.edit_failed(event.passage_id, self._passage(event.passage_id))
            return
        if "tags" in event.fields:
            self._refresh_tag_counts()
        if "verdict" in event.fields:
            self.suggestions.passages_changed()  # the learner hears the verdict
        self.sidebar.edit_saved(passage)
        view = self.view
        if view is not None and self.book_id is not None:
            view.set_passages(db.passages.for_book(self.book_id))

    @on(TagSidebar.Leave)
    def _leave_sidebar(self, event: TagSidebar.Leave) -> None:
        if self._sidebar_for_edit:  # shown for one edit on a narrow terminal: hidden again
            self._sidebar_for_edit = False
            self.sidebar.display = False
        if self.view is not None:
            self.view.focus()

    @on(ReaderView.SearchWrapped)
    def _search_wrapped(self, event: ReaderView.SearchWrapped) -> None:
        where = "start" if event.forward else "end"
        self.notify(f"Search wrapped: went on from the {where} of the book.", markup=False)

    def _cursor_passage(self) -> Optional["Passage"]:
        view = self._need_book()
        if view is None:
            return None
        passage = view.cursor_passage
        if passage is None:
            self.notify("Move the cursor into a passage first ([ and ] jump between passages).")
        return passage

    def action_resize_passage(self, direction: int) -> None:
        passage = self._cursor_passage()
        if passage is None or self.book_text is None:
            return
        text = self.book_text.text
        new_end = extend_end(text, passage.end) if direction > 0 else trim_end(text, passage.start, passage.end)
        if new_end == passage.end:
            return
        from core.passages import resize_passage

        try:
            resize_passage(self.studio.project, self.studio.db, passage.id, passage.start, new_end)
        except Exception as exc:
            self.studio.show_error(exc)
            return
        self.refresh_passages()

    def action_delete_passage(self) -> None:
        passage = self._cursor_passage()
        if passage is None:
            return
        snippet = " ".join(passage.text.split())[:60]

        def answered(confirmed: Optional[bool]) -> None:
            if not confirmed:
                return
            from core.passages import delete_passage

            try:
                delete_passage(self.studio.db, passage.id)
            except Exception as exc:
                self.studio.show_error(exc)
                return
            self.refresh_passages()
            self.notify(f"Passage {passage.id} deleted.")

        # A `y` typed in a stream of keys must not answer a question nobody has read yet (issue 18, bug 4).
        self.app.push_screen(DeliberateConfirmModal(f"Delete passage {passage.id} (\u201c{snippet}\u2026\u201d) "
                                                    f"with its tags and note?", yes_label="Delete"), answered)

    def action_suggestion(self, name: str) -> None:
        """Next / previous suggestion, the list, take or dismiss the one under the cursor."""
        self.suggestions.act(name)

    @on(SuggestionsReady)
    def _suggestions_ready(self, message: SuggestionsReady) -> None:
        self.suggestions.ready(message)
        self._show_status()

    # ---- tagging ------------------------------------------------------------------------------

    def action_verdict(self, verdict: str) -> None:
        if self._need_book() is not None:
            self.sidebar.set_verdict(verdict)

    def action_tag_field(self, field: str) -> None:
        if self._need_book() is None:
            return
        sidebar = self.sidebar
        if not sidebar.display and sidebar.passage is not None:
            sidebar.display = True
            self._sidebar_for_edit = True
        sidebar.focus_field(field)

    # ---- the sidebar's width ----------------------------------------------------------------

    def _fit_sidebar(self, width: int) -> None:
        """Show the sidebar on a wide terminal, hide it on a narrow one, unless the user chose with `s`."""
        if self._sidebar_chosen is None and not self._sidebar_for_edit:
            self.sidebar.display = width >= NARROW_COLUMNS
            self.suggestions.describe_cursor()  # shown: the finder's note on the cursor's paragraph

    def on_resize(self, event: events.Resize) -> None:
        self._fit_sidebar(event.size.width)

    def action_toggle_sidebar(self) -> None:
        """Hide or show the tagging sidebar; the choice holds until the studio closes."""
        sidebar = self.sidebar
        shown = not sidebar.display
        self._sidebar_chosen = shown
        self._sidebar_for_edit = False
        if not shown and sidebar.has_focus_within and self.view is not None:
            self.view.focus()
        sidebar.display = shown
        self.suggestions.describe_cursor()
