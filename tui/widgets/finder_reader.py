"""The finder in the reader: margin marks, next / previous suggestion, the list, take and dismiss.

Why a helper object and not more of `ReaderScreen`: the screen reads and tags; this part asks the
finder and draws what it says.  It talks to the screen through `ReaderHost` (the view, the open
book, `refresh_passages`, `open_book`) and to the finder through `core.finder.reading`.

Threads: every question that may score a book or re-rank the library runs in a thread worker on
the screen, which posts `SuggestionsReady` with a `BookReading` snapshot; a key press reads only
the snapshot (microseconds), so it never waits for the learner.  Taking or dismissing updates
the snapshot at once (the mark goes), and the re-ranked one replaces it when the worker is done.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol
from weakref import WeakKeyDictionary

from textual.binding import Binding
from textual.message import Message

from tui.widgets.finder_list import SuggestionsModal

if TYPE_CHECKING:  # core.finder (numpy) loads with the first book, not with the studio
    from core.finder.reading import BookReading, ReadingFinder
    from core.finder.suggestions import Suggestion
    from core.project import Project
    from store.database import Database
    from tui.widgets.reader_view import ReaderView
    from tui.widgets.tag_sidebar import TagSidebar

OPEN_A_BOOK = "Open a book first: press 1 for the Library, choose a book and press Enter."
STILL_SCORING = "The finder is still scoring this book; try again in a moment."
SUGGESTED_KEYS = "a takes it as a passage, x dismisses it."
DISMISSED_NOTE = ("You dismissed this suggestion: x again restores it, or mark a stretch of text and press Enter "
                  "to make a passage.")
NOTES_KEPT = 256  # paragraphs described per snapshot before the cache starts again
# Reasons for a paragraph up to this long are built at once (features of 2,000 characters: under a
# millisecond); a longer one's after the frame, the note giving the score alone until then.
REASONS_AT_ONCE_CHARS = 2000

SUGGESTION_BINDINGS = [
    Binding("f", "suggestion('next')", "Next suggestion", id="reader.suggestion_next",
            tooltip="Go to the next paragraph the finder suggests (strong, not a passage yet, not dismissed)"),
    Binding("F", "suggestion('previous')", "Previous suggestion", id="reader.suggestion_prev", show=False,
            tooltip="Go back to the previous paragraph the finder suggests"),
    Binding("S", "suggestion('list')", "Suggestions", id="reader.suggestions", show=False,
            tooltip="List the finder's best suggestions in this book or the whole library, with their reasons"),
    Binding("a", "suggestion('accept')", "Take suggestion", id="reader.suggestion_accept", show=False,
            tooltip="Make the paragraph under the cursor a passage marked valuable (trim it with > and <)"),
    Binding("x", "suggestion('dismiss')", "Dismiss suggestion", id="reader.suggestion_dismiss", show=False,
            tooltip="Dismiss the suggestion under the cursor: the finder learns it is not valuable (x again undoes)"),
]

_FINDERS: "WeakKeyDictionary[Any, ReadingFinder]" = WeakKeyDictionary()
_FINDERS_LOCK = threading.Lock()  # workers of the Reader and the Library may ask at the same moment


def finder_for(app: Any, project: "Project", db: "Database") -> "ReadingFinder":
    """The studio's one finder (shared by the Reader and the Library), made on first use.

    Called from workers: the first call imports numpy and the scorer, which the UI thread never waits for.
    """
    from core.finder.reading import ReadingFinder

    with _FINDERS_LOCK:
        finder = _FINDERS.get(app)
        if finder is None or finder.project is not project or finder.db is not db:
            finder = _FINDERS[app] = ReadingFinder(project, db)
        return finder


class SuggestionsReady(Message):
    """A worker's snapshot of one book's suggestions (after a load, a verdict or a dismissal)."""

    def __init__(self, book_id: int, reading: "BookReading") -> None:
        super().__init__()
        self.book_id = book_id
        self.reading = reading


class ReaderHost(Protocol):
    """What the suggestions need of the reader screen."""

    book_id: Optional[int]

    @property
    def view(self) -> Optional["ReaderView"]: ...
    @property
    def sidebar(self) -> "TagSidebar": ...
    @property
    def studio(self) -> Any: ...
    def refresh_passages(self) -> None: ...
    def open_book(self, book_id: int, offset: Optional[int] = None) -> None: ...
    def post_message(self, message: Message) -> bool: ...
    def run_worker(self, work: Callable[[], None], *, thread: bool, group: str, exit_on_error: bool) -> Any: ...


class ReaderSuggestions:
    """The finder's side of the reader: one per reader screen."""

    def __init__(self, host: ReaderHost) -> None:
        self.host = host
        self.reading: Optional[BookReading] = None
        self._centre_when_open: Optional[tuple[int, int]] = None  # (book, paragraph) chosen in another book
        self._described: Optional[int] = None  # the paragraph the sidebar's note is about (this snapshot)
        self._notes: dict[int, str] = {}  # paragraph -> "Suggested (0.93): ..." for this snapshot

    @property
    def finder(self) -> "ReadingFinder":
        studio = self.host.studio
        return finder_for(studio, studio.project, studio.db)

    # ---- following the reader -------------------------------------------------------------

    def book_opened(self) -> None:
        """A book is in the view: ask for its suggestions; centre on a paragraph chosen in the list."""
        self.reading = None
        self._ask(lambda finder, book_id: finder.reading(book_id))
        pending, self._centre_when_open = self._centre_when_open, None
        view = self.host.view
        if view is not None:  # the sidebar's note follows the cursor from paragraph to paragraph
            view.watch(view, "cursor_paragraph", self.describe_cursor, init=False)
        self._forget_notes()
        if pending is not None and view is not None and pending[0] == self.host.book_id:
            view.call_after_refresh(view.go_to_paragraph, pending[1])  # after the first layout: centring needs it

    def passages_changed(self) -> None:
        """A passage was made, resized, deleted or judged: the learner re-ranks (in a worker)."""
        self._ask(lambda finder, book_id: finder.reading(book_id))

    def _ask(self, question: "Callable[[ReadingFinder, int], BookReading]") -> None:
        book_id = self.host.book_id
        if book_id is None:
            return
        host, studio = self.host, self.host.studio

        def work() -> None:
            finder = finder_for(studio, studio.project, studio.db)
            host.post_message(SuggestionsReady(book_id, question(finder, book_id)))

        host.run_worker(work, thread=True, group="finder", exit_on_error=False)

    def ready(self, message: SuggestionsReady) -> None:
        """Take a worker's snapshot unless the book changed or a newer one is already shown."""
        if message.book_id != self.host.book_id:
            return
        current = self.reading
        if current is not None and current.scores.book_id == message.book_id and (
                message.reading.generation <= current.generation):
            return
        self._show(message.reading)

    def _show(self, reading: BookReading) -> None:
        self.reading = reading
        view = self.host.view
        if view is not None:
            view.set_marks(reading.levels)
        self._forget_notes()  # a new score (a verdict re-ranked the book): described afresh

    def ahead(self, paragraph: int) -> str:
        """The status line's part: how many strong suggestions lie from `paragraph` (the top of the view) on.

        The top paragraph counts, as in the Library's Suggested column (`core.finder.reading.strong_unread`):
        both say how many are still to read from the reading position, so they show the same number.
        """
        if self.reading is None or self.reading.scores.book_id != self.host.book_id:
            return ""
        count = self.reading.ahead(paragraph - 1)
        return f"{count} suggestion{'' if count == 1 else 's'} ahead (f next, S list)"

    # ---- the sidebar's note on the paragraph under the cursor -----------------------------------

    def _forget_notes(self) -> None:
        self._described = None
        self._notes.clear()
        self.describe_cursor()

    def describe_cursor(self) -> None:
        """Say in the sidebar why the paragraph under the cursor is suggested (or that it was dismissed).

        Why here and not in the S list alone: a reader going through suggestions with f looks at the
        sidebar, and it said only "no passage under the cursor".  Called on every move into another
        paragraph and with every snapshot, from key handlers, so it does the least: nothing when the
        paragraph and the snapshot did not change, nothing while the sidebar is hidden (a narrow
        terminal: nothing extra is said).  The reasons (`BookScores.suggestion` extracts the
        paragraph's features) are built once per paragraph and snapshot: at once for an ordinary
        paragraph, after the frame for a long one (milliseconds), the note giving the score until then.
        """
        sidebar, view, reading = self.host.sidebar, self.host.view, self.reading
        if not sidebar.display:
            self._described = None  # shown again (`s`, a wider terminal): described afresh
            return
        if view is None or reading is None or reading.scores.book_id != self.host.book_id or not len(reading.scores):
            self._described = None  # no book, or its scores not here yet
            sidebar.show_note(None)
            return
        from core.finder.reading import paragraph_of
        from core.finder.suggestions import STRONG

        paragraph = paragraph_of(reading.scores, view.cursor_offset)
        if paragraph == self._described:
            return
        self._described = paragraph
        score = float(reading.scores.scores[paragraph])
        start, end = (int(v) for v in reading.scores.spans[paragraph])
        if paragraph in reading.dismissed:
            sidebar.show_note(DISMISSED_NOTE)
        elif score < STRONG or reading.scores.judged[paragraph]:
            sidebar.show_note(None)
        elif paragraph in self._notes:
            sidebar.show_note(self._notes[paragraph])
        elif end - start <= REASONS_AT_ONCE_CHARS:
            self._give_reasons(reading, paragraph)  # one update of the sidebar, not two (each may lay it out)
        else:
            sidebar.show_note(f"Suggested ({score:.2f}).\n{SUGGESTED_KEYS}")
            view.call_after_refresh(self._give_reasons, reading, paragraph)

    def _give_reasons(self, reading: BookReading, paragraph: int) -> None:
        """The note with the reasons, unless the cursor or the snapshot moved on meanwhile."""
        if reading is not self.reading or paragraph != self._described:
            return
        suggestion = reading.scores.suggestion(paragraph)
        reasons = "; ".join(suggestion.reasons) or "no single feature stands out"
        if len(self._notes) >= NOTES_KEPT:
            self._notes.clear()
        note = self._notes[paragraph] = f"Suggested ({suggestion.score:.2f}): {reasons}.\n{SUGGESTED_KEYS}"
        self.host.sidebar.show_note(note)

    # ---- the keys ---------------------------------------------------------------------------

    def act(self, name: str) -> None:
        """Run the suggestion key `name` (next, previous, list, accept, dismiss)."""
        view = self.host.view
        if view is None or self.host.book_id is None:
            self._say(OPEN_A_BOOK)
            return
        if name == "list":
            self._open_list()
            return
        reading = self.reading
        if reading is None:
            self._say(STILL_SCORING)
            return
        from core.finder.reading import paragraph_of

        paragraph = paragraph_of(reading.scores, view.cursor_offset)
        if name == "next":
            self._go(view, reading.next_after(paragraph), "No strong suggestion after here: F goes back, S lists the best.")
        elif name == "previous":
            self._go(view, reading.previous_before(paragraph), "No strong suggestion before here: f goes on.")
        elif name == "accept":
            self._accept(reading, paragraph)
        elif name == "dismiss":
            self._dismiss(reading, paragraph)

    def _say(self, text: str, severity: str = "information") -> None:
        self.host.studio.notify(text, severity=severity, markup=False)

    def _go(self, view: "ReaderView", paragraph: Optional[int], none_left: str) -> None:
        if paragraph is None:
            self._say(none_left)
            return
        view.go_to_paragraph(paragraph)

    def _accept(self, reading: BookReading, paragraph: int) -> None:
        view = self.host.view
        if view is not None and view.cursor_passage is not None:
            self._say(f"The cursor is already in passage {view.cursor_passage.id}: > and < trim it, "
                      f"+ - = judge it.")
            return
        from core.finder.reading import accept_suggestion

        studio = self.host.studio
        try:
            passage = accept_suggestion(studio.project, studio.db, reading.scores, paragraph)
        except Exception as exc:
            studio.show_error(exc)
            return
        self._show(reading.without(paragraph))
        self.host.refresh_passages()  # the highlight, the sidebar, and a re-rank (passages_changed)
        if view is not None:
            view.move_cursor(passage.start)
        self._say(f"Passage {passage.id} made from the suggestion and marked valuable: > and < trim it, "
                  f"- or = changes the verdict.")

    def _dismiss(self, reading: BookReading, paragraph: int) -> None:
        view = self.host.view
        if view is not None and view.cursor_passage is not None:
            self._say("This is a passage, not a suggestion: - marks it not valuable, D deletes it.")
            return
        restoring = paragraph in reading.dismissed
        # At once, so that a second x before the worker is done undoes this one (the store toggles too).
        self._show(replace(reading, dismissed=reading.dismissed - {paragraph}) if restoring
                   else reading.without(paragraph, dismissed=True))
        self._ask(lambda finder, book_id: finder.dismiss(book_id, paragraph))
        self._say("Suggestion restored." if restoring else
                  "Dismissed: the finder learns it is not valuable (x again undoes). f goes to the next.")

    def _open_list(self) -> None:
        book_id = self.host.book_id
        if book_id is None:
            return
        titles = {book.id: book.title for book in self.host.studio.db.books.all()}
        self.host.studio.push_screen(SuggestionsModal(self.finder, book_id, titles), self._chosen)

    def _chosen(self, suggestion: Optional["Suggestion"]) -> None:
        view = self.host.view
        if suggestion is None:
            return
        if suggestion.book_id == self.host.book_id and view is not None:
            view.go_to_paragraph(suggestion.paragraph)
            view.focus()
            return
        self._centre_when_open = (suggestion.book_id, suggestion.paragraph)
        self.host.open_book(suggestion.book_id, suggestion.start)
