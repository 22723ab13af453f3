"""The plain values the review session hands out and keeps: index entries, a key press's result, progress.

Kept apart from `core.review.session` so that the session module holds behaviour only (and stays under
the size limit as bulk decisions, search and list progress joined it); `core.review.session` re-exports
the public names, so callers import them from there or from `core.review`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

from store.records import Decision, DecisionAction, ExampleStatus, Unset

FACETS = ("status", "template", "book", "tag", "teacher", "flag")
FacetValue = Union[str, int]
BAR_WIDTH = 20


@dataclass
class CardEntry:
    """What the index knows about one example (no text: the card loads that on demand)."""

    id: int
    status: ExampleStatus
    template: str
    book: int
    tags: tuple[str, ...]
    teacher: str
    flags: tuple[str, ...]
    passage_id: int


@dataclass
class DecisionResult:
    """What a key press did: `ok` False means refused, and `message` says why (the UI shows it)."""

    ok: bool
    message: str = ""
    example_id: int = 0
    status: Union[ExampleStatus, Unset] = ""
    decision: Optional[Decision] = None
    count: int = 1  # decisions written (a bulk action or its undo writes many)


@dataclass
class Progress:
    done: int  # accepted + rejected
    total: int
    pending: int
    rate_per_hour: float  # this session's pace, over reviewer time on cards
    eta_s: Optional[float]  # for the pending ones at that pace

    @property
    def text(self) -> str:
        rate = f"{self.rate_per_hour:.0f}/h" if self.rate_per_hour else "–/h"
        if self.eta_s is None:
            eta = "ETA –"
        else:
            minutes = int(self.eta_s // 60)
            eta = f"ETA {minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"ETA {minutes}m"
        return f"{self.done}/{self.total} done · {rate} · {eta}"


@dataclass(frozen=True)
class ListProgress:
    """How far the reviewer is through the list on screen: its examples no longer pending, of all of them."""

    decided: int
    total: int

    @property
    def share(self) -> float:
        return self.decided / self.total if self.total else 0.0

    def bar(self, width: int = BAR_WIDTH) -> str:
        """`█████░░░░░ 47%` in `width` cells plus the percentage (what the progress line draws)."""
        filled = min(width, int(round(self.share * width)))
        return "\u2588" * filled + "\u2591" * (width - filled) + f" {100 * self.share:.0f}%"


@dataclass
class Event:
    """The session's light copy of a decision event (what undo and the fold need)."""

    decision_id: int
    action: Union[DecisionAction, Unset]  # "" only in a hand-edited log; the fold ignores it
    reason: str = ""
    edited_text: str = ""
    edited_student: list[dict[str, str]] = field(default_factory=list)
    bulk: str = ""  # the bulk action it belongs to ("" for one made on a card)


@dataclass
class SessionTally:
    verdicts: list[tuple[str, float]] = field(default_factory=list)  # (action, seconds)
