"""A confirmation for deleting things that ignores a `y` typed before the question could be read.

Issue 18, bug 4: a tester typing a stream of keys into the reader saw "Delete
passage 12 ...? Delete (y) / Cancel (n)" appear, and one stray `y` in that stream
would have deleted it.  The question asks for a decision, so a yes counts only
once the dialog has been on screen for `ARM_DELAY_S`, longer than the gap between
keys typed in a run and shorter than anyone takes to read the question.  An early
`y` (or a click on the Delete button) is not lost silently: the dialog says that
it waits to be read, and a second `y` a moment later deletes.  `n`, Escape and
Enter on the focused Cancel button answer at once: cancelling is always safe.
"""

from __future__ import annotations

import time

from textual.containers import Vertical
from textual.widgets import Button, Label

from tui.widgets.modals import ConfirmModal

ARM_DELAY_S = 0.6
EARLY_YES = "Read the question first: press y again to delete, n to keep it."


class DeliberateConfirmModal(ConfirmModal):
    """`ConfirmModal` whose yes counts only after the question was on screen for `ARM_DELAY_S`."""

    def __init__(self, question: str, yes_label: str = "Yes", arm_delay_s: float = ARM_DELAY_S) -> None:
        super().__init__(question, yes_label=yes_label)
        self.arm_delay_s = arm_delay_s
        self.opened_at = time.monotonic()
        self.early_yeses = 0  # yeses ignored because they came too soon (for the tests and the hint)

    def on_mount(self) -> None:
        # Counted from when the dialog is shown, not built (Textual also runs ConfirmModal.on_mount).
        self.opened_at = time.monotonic()
        # A line under the buttons, inside the box, for the "too soon" hint.
        self.query_one(".modal-box", Vertical).mount(Label("", id="confirm-early", classes="modal-error",
                                                           markup=False))

    @property
    def armed(self) -> bool:
        """True once the question has been shown long enough for a yes to be a decision."""
        return time.monotonic() - self.opened_at >= self.arm_delay_s

    def _too_soon(self) -> None:
        self.early_yeses += 1
        self.query_one("#confirm-early", Label).update(EARLY_YES)

    def action_answer(self, answer: bool) -> None:
        if answer and not self.armed:
            self._too_soon()
            return
        self.dismiss(answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "yes" and not self.armed:
            event.stop()
            event.prevent_default()  # ConfirmModal's own handler would dismiss with yes
            self._too_soon()
