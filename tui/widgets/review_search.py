"""Search within the examples (ctrl+f on the Review screen): one line, Enter searches, an empty line ends it.

What the line means is `core.review.search.parse_query` (words must all appear, "quoted phrases" as
written, -word must not); the search runs over the text the cards show, within the active filters, in the
screen's worker.  The modal only collects the line.
"""

from __future__ import annotations

from typing import Optional

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

HINT = ('Words must all appear (any case); "a phrase" as written; -word must not appear. '
        "Enter searches, an empty line ends the search, Escape keeps it as it was.")


class ReviewSearchModal(ModalScreen[Optional[str]]):
    """Dismisses with the query ("" ends the search) or None (Escape: nothing changes)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="review.search_cancel",
                        tooltip="Close the search without changing it")]

    def __init__(self, current: str = "") -> None:
        super().__init__(classes="modal")
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Label("Search within the examples", classes="modal-question", markup=False)
            yield Input(value=self.current, placeholder="e.g. window \"I find myself\" -rain", id="search-input")
            yield Label(HINT, markup=False)

    def on_mount(self) -> None:
        self.query_one("#search-input", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
