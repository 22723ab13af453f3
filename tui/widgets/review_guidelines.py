"""The review guidelines one key away (g on the Review screen): the current card's template's AVOID list,
the failure patterns reviewers named, and this template's reject reasons so far.

The content is `core.review.guidelines.review_guidelines` (a template file and the decision log), computed
in a thread worker like the analytics panel, whose modal this one reuses.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding

from tui.widgets.review_analytics import ReviewAnalyticsModal


def guidelines_text(project: Any, db: Any, template_id: str) -> str:
    """The guidelines for an example of `template_id`, as plain text (computed off the UI thread)."""
    from core.review.guidelines import review_guidelines

    return review_guidelines(project, db, template_id).text


class ReviewGuidelinesModal(ReviewAnalyticsModal):
    """What to hold the card against; g or Escape closes it."""

    BINDINGS = [Binding("escape,g", "close", "Close", id="review.guidelines_close",
                        tooltip="Close the review guidelines")]
    HEADING = "Review guidelines (g or Escape closes)"
