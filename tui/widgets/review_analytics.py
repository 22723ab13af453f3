"""The reviewer analytics panel: accept rates by template, book, tag and teacher; reject reasons by template
(the teacher's failure patterns, to revise templates with); edit distance; examples per hour.

The figures are `core.review.stats.review_report`, the same text
`interiority review-stats` prints, so the panel and the command line never disagree.  They fold the whole
decision log, which takes a moment at tens of thousands of events, so a thread worker computes them while
the panel says so.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, Static


def analytics_text(db: Any) -> str:
    """The analytics of the project behind `db` as plain text (computed off the UI thread)."""
    from core.review.stats import review_report

    return review_report(db)


class ReviewAnalyticsModal(ModalScreen[None]):
    """Analytics of the whole project's review, computed when opened."""

    BINDINGS = [Binding("escape,t", "close", "Close", id="review.analytics_close")]
    HEADING = "Reviewer analytics (t or Escape closes)"
    DEFAULT_CSS = """
    ReviewAnalyticsModal #analytics-box { width: 110; max-width: 96%; height: 90%; border: thick $primary;
                                          background: $surface; padding: 0 1; }
    ReviewAnalyticsModal #analytics-scroll { height: 1fr; }
    """

    class Computed(Message):
        def __init__(self, text: str, seconds: float) -> None:
            super().__init__()
            self.text = text
            self.seconds = seconds

    def __init__(self, compute: Callable[[], str]) -> None:
        super().__init__(classes="modal")
        self.compute = compute
        self.text = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="analytics-box"):
            yield Label(self.HEADING, classes="modal-question", markup=False)
            with VerticalScroll(id="analytics-scroll"):
                yield Static("Computing the analytics\u2026", id="analytics-text", markup=False)

    def on_mount(self) -> None:
        self._compute()

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-analytics")
    def _compute(self) -> None:
        started = time.perf_counter()
        text = self.compute()
        self.post_message(self.Computed(text, time.perf_counter() - started))

    def on_review_analytics_modal_computed(self, message: Computed) -> None:
        self.text = message.text
        self.query_one("#analytics-text", Static).update(message.text)

    def on_worker_state_changed(self, event: Any) -> None:
        from textual.worker import WorkerState

        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.query_one("#analytics-text", Static).update(
                f"The analytics could not be computed: {event.worker.error}")

    def action_close(self) -> None:
        self.dismiss(None)
