"""The review's user-facing error, in a module of its own so that every review module can raise it without
importing another's logic (the log imports the edits, which raise it too)."""

from __future__ import annotations

from core.errors import UserError


class ReviewError(UserError):
    """A decision that cannot be made (unknown example or reason, nothing to undo, an invalid edit)."""
