"""The Library screen: the project's books with their counts; import, delete, open in the reader.

Imports run in a thread worker (parsing War and Peace takes a moment) while the
screen shows an indeterminate progress bar and stays usable; the table is
rebuilt from the store whenever the screen is shown again, so counts changed in
the reader or the review screen are current.  The last column, strong suggestions of the finder
from each book's reading position on, is counted in a thread worker (scoring a book the first
time takes a moment; after that its scores come from the cache of its text version) and filled
in when it arrives.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Input, Label, ProgressBar, Static
from textual.widgets.data_table import ColumnKey
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from core.library import BookRow, book_rows, delete_book, import_book, import_gutenberg
from tui.screens.base import StudioScreen
from tui.widgets.deliberate_confirm import DeliberateConfirmModal
from tui.widgets.path_input import PathInput

if TYPE_CHECKING:
    from store import Book, Database

# What a reader looks for first comes first: at 80 columns the last ones fall off the right edge, and
# the finder's count of strong suggestions left to read is what sends a reader back into a book.
COLUMNS = ("Title", "Author", "Suggested", "Passages", "Examples", "Accepted", "Chapters", "Size")
COUNTING = "\u2026"  # the Suggested cell while the worker counts
UNREADABLE = "\u2013"  # the book's text cannot be read: nothing to suggest


def library_rows(db: "Database") -> list[BookRow]:
    """The library's rows (`core.library.book_rows`) in the order a reader looks for them: by title."""
    return sorted(book_rows(db), key=lambda row: (row.title.casefold(), row.id))


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def delete_question(row: BookRow) -> str:
    """What deleting a book takes with it and what it keeps, as the confirmation asks it."""
    question = f"Delete \u201c{row.title}\u201d from the library, with its {plural(row.passages, 'passage')}?"
    if row.examples:
        question += (f" Its {plural(row.examples, 'generated example')} ({row.accepted} accepted) stay in "
                     f"Review and in dataset builds.")
    return question + " The file you imported it from is not touched."


class LibraryScreen(StudioScreen):
    """The books of the project."""

    SCREEN_ID = "library"
    BINDINGS = [
        Binding("enter", "open_book", "Open", id="library.open"),
        Binding("i", "focus_import", "Import file", id="library.import"),
        Binding("g", "focus_gutenberg", "Gutenberg", id="library.gutenberg"),
        Binding("d,delete", "delete_book", "Delete", id="library.delete"),
        Binding("escape", "focus_table", "Back to the list", id="library.back", show=False),
    ]

    class SuggestionsCounted(Message):
        """Strong unread suggestions per book (posted from the counting worker; None: unreadable)."""

        def __init__(self, counts: dict[int, Optional[int]]) -> None:
            super().__init__()
            self.counts = counts

    class ImportFinished(Message):
        """A book was imported (posted from the import worker)."""

        def __init__(self, book: "Book", seconds: float) -> None:
            super().__init__()
            self.book = book
            self.seconds = seconds

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[BookRow] = []
        self._importing: Optional[str] = None
        self._import_started = 0.0
        self._import_ticker: Optional[Timer] = None
        self._suggested_column: Optional[ColumnKey] = None  # set in compose

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static("", id="library-steps")
        table: DataTable[str] = DataTable(id="books", cursor_type="row", zebra_stripes=True)
        self._suggested_column = table.add_columns(*COLUMNS)[COLUMNS.index("Suggested")]
        yield table
        with Horizontal(id="import-progress"):
            yield ProgressBar(total=None, show_eta=False, id="import-bar")
            yield Label("", id="import-label", markup=False)
        with Horizontal(id="import-row"):
            yield Label("Import a file:", classes="field-label")
            yield PathInput(placeholder="path to a .txt or .epub file (Tab completes)", id="import-path")
            yield Label("or Gutenberg #:", classes="field-label")
            yield Input(placeholder="e.g. 2600", type="integer", id="import-gutenberg")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.query_one("#import-progress").display = False

    def on_screen_resume(self) -> None:
        self.refresh_books()

    # ---- the table ------------------------------------------------------------------------

    def refresh_books(self, select_book: Optional[int] = None) -> None:
        """Rebuild the table from the store, keeping (or moving to) the selected book."""
        table = self.query_one("#books", DataTable)
        keep = select_book if select_book is not None else self.selected_book_id()
        self._rows = library_rows(self.studio.db)
        table.clear()
        for row in self._rows:
            table.add_row(row.title, row.author or "unknown", COUNTING, str(row.passages), str(row.examples),
                          str(row.accepted), str(row.chapters), row.size, key=str(row.id))
        if self._rows:
            self._count_suggestions([row.id for row in self._rows])
        empty = not self._rows
        table.display = not empty
        self._show_steps(full=empty)
        if empty:
            # Nothing focused rather than the import box: the checklist says "press i", and with the box
            # focused that typed an "i" into the path (issue 18). `i` and `g` focus the boxes.
            if not isinstance(self.focused, Input):
                self.set_focus(None)
            return
        if keep is not None:
            for index, row in enumerate(self._rows):
                if row.id == keep:
                    table.move_cursor(row=index)
                    break
        if not isinstance(self.focused, Input):
            table.focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="library-suggestions")
    def _count_suggestions(self, book_ids: list[int]) -> None:
        """Strong suggestions from each book's reading position on, off the UI thread."""
        from tui.widgets.finder_reader import finder_for

        db = self.studio.db
        positions = {}
        for book_id in book_ids:
            book = db.books.find(book_id)
            if book is not None:
                positions[book_id] = int((list(book.position or []) + [0])[0])
        counts = finder_for(self.studio, self.studio.project, db).strong_unread(positions)
        self.post_message(self.SuggestionsCounted(counts))

    @on(SuggestionsCounted)
    def _suggestions_counted(self, message: SuggestionsCounted) -> None:
        table = self.query_one("#books", DataTable)
        if self._suggested_column is None:
            return
        shown = {row.id for row in self._rows}
        for book_id, count in message.counts.items():
            if book_id in shown:  # the table may have been rebuilt without it meanwhile
                table.update_cell(str(book_id), self._suggested_column, UNREADABLE if count is None else str(count))

    def _show_steps(self, full: bool) -> None:
        """The whole checklist on an empty project; afterwards only the next step, until the loop is done."""
        from core.first_run import first_run_steps
        from tui.widgets.first_steps import steps_text

        steps = first_run_steps(self.studio.project, self.studio.db)
        panel = self.query_one("#library-steps", Static)
        text = steps_text(steps, only_next=not full)
        panel.update(text)
        panel.display = bool(text.plain)

    def selected_book_id(self) -> Optional[int]:
        table = self.query_one("#books", DataTable)
        if not self._rows or table.cursor_row is None or not (0 <= table.cursor_row < len(self._rows)):
            return None
        return self._rows[table.cursor_row].id

    @on(DataTable.RowSelected, "#books")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_book()

    def action_open_book(self) -> None:
        book_id = self.selected_book_id()
        if book_id is None:
            self.notify("Import a book first: press i, type the path of a book file and press Enter.")
            return
        self.studio.open_reader(book_id)

    def action_focus_table(self) -> None:
        if self._rows:
            self.query_one("#books", DataTable).focus()
        else:  # nothing to list: leave the input so that the screen's keys work
            self.set_focus(None)

    def action_focus_import(self) -> None:
        self.query_one("#import-path", Input).focus()

    def action_focus_gutenberg(self) -> None:
        self.query_one("#import-gutenberg", Input).focus()

    # ---- delete -----------------------------------------------------------------------------

    def action_delete_book(self) -> None:
        book_id = self.selected_book_id()
        if book_id is None:
            return
        # Counted now, not when the table was built: the queue may have generated since.
        row = next((r for r in book_rows(self.studio.db) if r.id == book_id), None)
        if row is None:
            self.refresh_books()
            return
        question = delete_question(row)

        def answered(confirmed: Optional[bool]) -> None:
            if confirmed:
                self._delete(book_id, row.title)

        self.app.push_screen(DeliberateConfirmModal(question, yes_label="Delete"), answered)

    def _delete(self, book_id: int, title: str) -> None:
        try:
            deleted = delete_book(self.studio.project, self.studio.db, book_id)
        except Exception as exc:
            self.studio.show_error(exc)
            return
        from tui.screens.reader import ReaderScreen

        reader = self.studio.screen_instance("reader")
        if isinstance(reader, ReaderScreen) and reader.book_id == book_id:
            reader.close_book()
        if deleted.refused_files:
            self.notify(deleted.sentence(), severity="warning", timeout=10, markup=False)
        else:
            self.notify(f"Deleted \u201c{title}\u201d.", markup=False)
        self.refresh_books()

    # ---- import -----------------------------------------------------------------------------

    @on(Input.Submitted, "#import-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = event.value.strip()
        if not path:
            self.notify("Type the path of a book file first (Tab completes it).")
            return
        if self._start_import(f"Importing {Path(path).name}\u2026"):
            # The typed path stays until the import succeeds: a wrong path is corrected, not retyped.
            self._import_worker(path=path)

    @on(Input.Submitted, "#import-gutenberg")
    def _gutenberg_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text.isdigit() or int(text) <= 0:
            self.studio.show_error("A Project Gutenberg book number is a whole number, e.g. 2600 for War and Peace.")
            return
        if self._start_import(f"Downloading Project Gutenberg book {text}\u2026"):
            self._import_worker(gutenberg=int(text))

    def _start_import(self, label: str) -> bool:
        if self._importing is not None:
            self.notify(f"Wait for the import under way to finish ({self._importing}).", markup=False)
            return False
        self._importing = label
        self._import_started = time.monotonic()
        self.query_one("#import-label", Label).update(label)
        self.query_one("#import-progress").display = True
        self._import_ticker = self.set_interval(0.5, self._tick_import)
        return True

    def _tick_import(self) -> None:
        if self._importing is not None:
            seconds = time.monotonic() - self._import_started
            self.query_one("#import-label", Label).update(f"{self._importing} {seconds:.0f} s")

    def _end_import(self) -> None:
        self._importing = None
        if self._import_ticker is not None:
            self._import_ticker.stop()
            self._import_ticker = None
        self.query_one("#import-progress").display = False

    @work(thread=True, exit_on_error=False, group="import")
    def _import_worker(self, path: Optional[str] = None, gutenberg: Optional[int] = None) -> None:
        started = time.perf_counter()
        project, db = self.studio.project, self.studio.db
        if gutenberg is not None:
            book = import_gutenberg(project, db, gutenberg)
        else:
            book = import_book(project, db, Path(path or "").expanduser())
        self.post_message(self.ImportFinished(book, time.perf_counter() - started))

    @on(ImportFinished)
    def _import_finished(self, message: ImportFinished) -> None:
        self._end_import()
        self.query_one("#import-path", Input).value = ""
        self.query_one("#import-gutenberg", Input).value = ""
        book = message.book
        self.notify(f"Imported \u201c{book.title}\u201d by {book.author or 'unknown'}: {book.chapter_count} "
                    f"chapters, {book.paragraph_count} paragraphs ({message.seconds:.1f} s). "
                    f"Press Enter to read it.", title="Import", markup=False)
        self.refresh_books(select_book=book.id)
        self.query_one("#books", DataTable).focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # No call to super(): Textual runs StudioScreen's handler too (handlers run down the MRO), and
        # calling it here as well showed every import error twice (issue 18, bug 7).
        if event.worker.group == "import" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._end_import()
