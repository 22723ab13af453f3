"""The reject-reason picker: after `r`, one digit names why (the list is `[review] reject_reasons`).

A modal so that the reason is one more key, not a form; it dismisses with the reason's code, or None on
Escape (nothing is written then).  Keys 1-9 cover the settings' list; the studio's number keys for
screens are the app's, and a modal's own bindings come first, so they do not switch screens here.
"""

from __future__ import annotations

from typing import Optional, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

MAX_REASONS = 9


class RejectReasonModal(ModalScreen[Optional[str]]):
    """Pick the reason for a rejection with one digit."""

    BINDINGS = [
        *[Binding(str(n), f"choose({n - 1})", f"Reason {n}", id=f"review.reason_{n}", show=False)
          for n in range(1, MAX_REASONS + 1)],
        Binding("escape", "cancel", "Cancel", id="review.reason_cancel"),
    ]
    DEFAULT_CSS = """
    RejectReasonModal .modal-box { width: 48; }
    """

    def __init__(self, reasons: Sequence[str], example_id: int, title: Optional[str] = None) -> None:
        super().__init__(classes="modal")
        self.reasons = list(reasons)[:MAX_REASONS]
        self.example_id = example_id
        self.title_text = title or f"Reject example #{example_id} because\u2026"  # a bulk reject names its count

    def compose(self) -> ComposeResult:
        body = Text()
        for index, reason in enumerate(self.reasons, start=1):
            if index > 1:
                body.append("\n")
            body.append(f" {index} ", style="bold reverse")
            body.append(f"  {reason}")
        with Vertical(classes="modal-box"):
            yield Label(self.title_text, classes="modal-question", markup=False)
            yield Static(body, id="reason-list")
            yield Label("Press a digit, or Escape to cancel.", classes="modal-question", markup=False)

    def action_choose(self, index: int) -> None:
        if 0 <= index < len(self.reasons):
            self.dismiss(self.reasons[index])
        else:
            self.notify(f"There are {len(self.reasons)} reasons: press 1 to {len(self.reasons)}.",
                        severity="warning")

    def action_cancel(self) -> None:
        self.dismiss(None)
