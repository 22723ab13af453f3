"""The Suggestions list: the finder's best paragraphs of this book or of the whole library.

Each row shows the score, where the paragraph is, its first words and the reasons behind the
score (the terms that moved it, and whether your verdicts did), so a person can judge the
finder, not only follow it.  `l` switches between the book and the library, `u` between the
most likely and the ones the learner is least sure of (Prodigy's "ask me" order: a verdict on
those teaches most).  Ranking the library may load books, so it runs in a thread worker and
the list says so meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, cast

from rich import table as rich_table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from core.finder.reading import ReadingFinder
    from core.finder.suggestions import Suggestion
    from tui.app import InteriorityApp

LIST_SIZE = 40
LOADING = "Ranking\u2026"
RANK_FAILED = "The suggestions could not be ranked (the message says why)."


def suggestion_row(suggestion: "Suggestion", title: str = "") -> rich_table.Table:
    """The score in a column of its own; beside it the place and first words, then the reasons, dimmed.

    A grid, so that wrapped lines hang under the text and each row's score stands alone on the
    left (as plain text the reasons wrapped back to the first column, under the scores).  A cut
    preview ends with an ellipsis.
    """
    from core.finder.suggestions import PREVIEW_CHARS

    body = Text()
    where = f"{title} \u00b6{suggestion.paragraph}" if title else f"\u00b6{suggestion.paragraph}"
    body.append(f"{where}  ", style="italic")
    cut = len(suggestion.preview) >= PREVIEW_CHARS and suggestion.end - suggestion.start > PREVIEW_CHARS
    body.append(suggestion.preview + ("\u2026" if cut else ""))
    reasons = "; ".join(suggestion.reasons) or "no single feature stands out"
    body.append(f"\n{reasons}", style="dim")
    row = rich_table.Table.grid(padding=(0, 1))
    row.add_column(width=4, no_wrap=True)
    row.add_column(ratio=1)
    row.add_row(Text(f"{suggestion.score:4.2f}", style="bold"), body)
    return row


def heading(library: bool, uncertain: bool, count: int, title: str) -> str:
    scope = "the whole library" if library else f"\u201c{title}\u201d"
    order = "least certain" if uncertain else "best"
    return (f"The {count} {order} suggestions in {scope}. Enter jumps to one; l: "
            f"{'this book' if library else 'whole library'}; u: {'most likely' if uncertain else 'least certain'}.")


class SuggestionsModal(ModalScreen[Optional["Suggestion"]]):
    """The finder's suggestions; dismisses with the chosen one (None on Escape)."""

    # The list takes what the heading leaves (1fr): at its default height (up to 100% of the box) it ran
    # past the box's bottom by the heading's lines, and the highlighted row, scrolled "into view", was cut.
    DEFAULT_CSS = """
    SuggestionsModal #suggestions-box { width: 110; }
    SuggestionsModal #suggestion-list { height: 1fr; }
    """

    BINDINGS = [
        Binding("l", "toggle_scope", "Book / library", id="suggestions.scope",
                tooltip="Switch the suggestions list between this book and the whole library"),
        Binding("u", "toggle_order", "Best / least sure", id="suggestions.order",
                tooltip="Switch the suggestions list between the most likely and those the finder is least sure of"),
        Binding("escape", "close", "Close", id="suggestions.close",
                tooltip="Close the suggestions list without moving"),
    ]

    class Ranked(Message):
        """The worker's list, for the scope and order it was asked for."""

        def __init__(self, rows: list["Suggestion"], library: bool, uncertain: bool) -> None:
            super().__init__()
            self.rows = rows
            self.library = library
            self.uncertain = uncertain

    def __init__(self, finder: "ReadingFinder", book_id: int, titles: dict[int, str], *,
                 library: bool = False, uncertain: bool = False, size: int = LIST_SIZE) -> None:
        super().__init__(classes="modal")
        self.finder = finder
        self.book_id = book_id
        self.titles = titles
        self.library = library
        self.uncertain = uncertain
        self.list_size = size
        self.rows: list["Suggestion"] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box modal-tall", id="suggestions-box"):
            yield Label(LOADING, id="suggestions-heading", classes="modal-question", markup=False)
            yield OptionList(id="suggestion-list")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self._rank()

    def _rank(self) -> None:
        self.query_one("#suggestions-heading", Label).update(
            "Ranking the whole library\u2026" if self.library else LOADING)
        self._rank_worker(self.library, self.uncertain)

    @work(thread=True, exclusive=True, exit_on_error=False, group="suggestions")
    def _rank_worker(self, library: bool, uncertain: bool) -> None:
        rows = self.finder.suggestions(self.list_size, None if library else self.book_id, uncertain=uncertain)
        self.post_message(self.Ranked(rows, library, uncertain))

    @on(Ranked)
    def _ranked(self, message: Ranked) -> None:
        if (message.library, message.uncertain) != (self.library, self.uncertain):
            return  # an answer to a question asked before the last toggle
        self.rows = message.rows
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(suggestion_row(s, self.titles.get(s.book_id, "") if self.library else ""))
                             for s in self.rows])
        if self.rows:
            options.highlighted = 0
        title = self.titles.get(self.book_id, "this book")
        text = heading(self.library, self.uncertain, len(self.rows), title) if self.rows else (
            "No open suggestions here: every paragraph is a passage or dismissed. l shows the whole library.")
        self.query_one("#suggestions-heading", Label).update(text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            # the heading said "Ranking…" for good: say that it stopped, and what still works
            self.query_one("#suggestions-heading", Label).update(
                f"{RANK_FAILED} {'l: this book' if self.library else 'l: the whole library'}; Esc closes.")
            cast("InteriorityApp", self.app).show_error(event.worker.error)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.rows):
            self.dismiss(self.rows[event.option_index])

    def action_toggle_scope(self) -> None:
        self.library = not self.library
        self._rank()

    def action_toggle_order(self) -> None:
        self.uncertain = not self.uncertain
        self._rank()

    def action_close(self) -> None:
        self.dismiss(None)
