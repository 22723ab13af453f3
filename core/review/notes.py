"""What reviewers write down about the teacher: the failure patterns named after the careful start.

The careful start exists so that the reviewer learns how this teacher fails; naming those failures turns
that into something the analytics (and the next reviewer) can read.
"""

from __future__ import annotations

from core.review.log import ReviewError
from store.database import Database
from store.decisions import FAILURE_PATTERNS
from store.records import ReviewNote


def failure_patterns(db: Database) -> list[ReviewNote]:
    """The failure patterns reviewers named after their careful start, oldest first."""
    return db.decisions.notes.of_kind(FAILURE_PATTERNS)


def has_failure_patterns(db: Database) -> bool:
    return db.decisions.notes.has_kind(FAILURE_PATTERNS)


def add_failure_patterns(db: Database, text: str, after_reviews: int, session: str) -> ReviewNote:
    """Store the reviewer's failure patterns; `ReviewError` when the text is empty."""
    if not text.strip():
        raise ReviewError("Write at least one failure pattern (e.g. 'opens with a weather report').")
    return db.decisions.notes.add(ReviewNote(kind=FAILURE_PATTERNS, text=text.strip(),
                                             after_reviews=after_reviews, session=session))
