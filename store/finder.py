"""The finder's records: dismissed suggestions, and the teacher's paid-for ratings of paragraphs.

Dismissed suggestions: paragraphs the reader was shown by the finder and waved away.

Why a record of their own: a dismissal is not a passage (nothing was highlighted, no text is
kept) but it is a verdict -- "not valuable" -- that the finder's learner trains on and that
keeps the paragraph out of later suggestions.  One document per dismissed span.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Optional

from store.records import Record
from store.repository import Repository


@dataclass
class Dismissal(Record):
    """The finder suggested paragraph `paragraph` (`[start, end)` of book `book_id`) and it was dismissed."""

    table: ClassVar[str] = "dismissals"
    book_id: int = 0
    paragraph: int = 0
    start: int = 0
    end: int = 0


class DismissalRepository(Repository[Dismissal]):
    record_class = Dismissal

    def for_book(self, book_id: int) -> list[Dismissal]:
        """The book's dismissals in reading order."""
        return sorted(self.where_eq(book_id=int(book_id)), key=lambda d: (d.start, d.end))

    def dismiss(self, book_id: int, paragraph: int, start: int, end: int) -> Dismissal:
        """Record a dismissal once: dismissing the same span again returns the stored one."""
        found = self.where_eq(book_id=int(book_id), start=int(start), end=int(end))
        if found:
            return found[0]
        return self.add(Dismissal(book_id=int(book_id), paragraph=int(paragraph), start=int(start), end=int(end)))

    def undismiss(self, book_id: int, start: int, end: int) -> int:
        """Forget the dismissal of a span (an undo); returns how many were removed."""
        ids = [d.id for d in self.where_eq(book_id=int(book_id), start=int(start), end=int(end))]
        self.delete_many(ids)
        return len(ids)

    def delete_for_book(self, book_id: int) -> list[int]:
        ids = [d.id for d in self.where_eq(book_id=int(book_id))]
        self.delete_many(ids)
        return ids


@dataclass
class TeacherScoring(Record):
    """One batched request asking a teacher to rate paragraphs of one book text version.

    Why one record per request: the request is what costs money.  It is written `pending` with the
    request's worst-case cost before sending and rewritten once with the real cost and the ratings
    (`done`) or the reason (`failed`), so a run killed mid-request leaves its worst case charged
    (the budget cap then still holds, as it does for the queue's jobs).  The ratings it holds are
    the cache: keyed by (text `version`, paragraph index, `teacher`), never asked for twice.
    """

    table: ClassVar[str] = "finder_teacher_scoring"
    book_id: int = 0
    version: str = ""
    teacher: str = ""
    paragraphs: list[int] = field(default_factory=list)
    ratings: dict[str, float] = field(default_factory=dict)  # str(paragraph) -> rating in [0, 1]
    status: str = "pending"  # pending | done | failed
    cost_usd: float = 0.0
    reason: str = ""


class TeacherScoringRepository(Repository[TeacherScoring]):
    record_class = TeacherScoring

    def ratings(self, version: str, teacher: str) -> dict[int, float]:
        """The cached ratings of one text version by one teacher, paragraph -> rating (latest wins)."""
        found: dict[int, float] = {}
        for request in sorted(self.where_eq(version=version, teacher=teacher, status="done"), key=lambda r: r.id):
            for key, value in request.ratings.items():
                found[int(key)] = float(value)
        return found

    def spent(self, teacher: str) -> float:
        """What rating paragraphs has cost with `teacher`: real costs, and worst cases never settled."""
        return sum(float(r.cost_usd) for r in self.where_eq(teacher=teacher))

    def start(self, book_id: int, version: str, teacher: str, paragraphs: list[int],
              worst_case_usd: float) -> TeacherScoring:
        """A request about to be sent, charged at its worst case until it is settled."""
        return self.add(TeacherScoring(book_id=int(book_id), version=version, teacher=teacher,
                                       paragraphs=[int(p) for p in paragraphs], cost_usd=float(worst_case_usd)))

    def settle(self, request: TeacherScoring, status: str, cost_usd: float,
               ratings: Optional[dict[int, float]] = None, reason: str = "") -> TeacherScoring:
        """The request's outcome: its real (or kept worst-case) cost, and its ratings when done."""
        request.status = status
        request.cost_usd = float(cost_usd)
        request.ratings = {str(k): float(v) for k, v in (ratings or {}).items()}
        request.reason = reason[:300]
        return self.save(request)
