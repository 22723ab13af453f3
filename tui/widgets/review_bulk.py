"""The confirmation of a bulk accept / reject (A / R on the Review screen): it states the count.

Deciding a whole list is a big step, so the question says how many examples it changes and which list
(`core.review.bulk.BulkPlan.question`), and, as for deletions, a `y` typed before the question could be
read is not taken as the answer (`DeliberateConfirmModal`).  One `u` undoes the whole bulk action.
"""

from __future__ import annotations

from textual.widgets import Label

from tui.widgets.deliberate_confirm import DeliberateConfirmModal

EARLY_YES = "Read the question first: press y again to decide them all, n to leave them."


class BulkConfirmModal(DeliberateConfirmModal):
    """Yes decides every example the question counts; n / Escape leaves them as they are."""

    def _too_soon(self) -> None:
        self.early_yeses += 1
        self.query_one("#confirm-early", Label).update(EARLY_YES)
