"""What the Review screen's card and passage pane show: a `CardView` for the session's current example.

Kept apart from the screen because it is the one part with state of its own (passages read once, and the
copied spans of the next card found while the screen is idle, so that the next key press only repaints),
and because it is what a test of "what the reviewer sees" needs without a terminal.  The card shows the
student conversation as it will be exported (`Example.final_student`), every turn checked for copying;
an example without one shows the teacher's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from rich.text import Text

from tui.widgets.review_card import CardView, Turn, card_body
from tui.widgets.review_cluster import ClusterMember
from tui.widgets.review_verbatim import ConversationCopies, conversation_copies

if TYPE_CHECKING:  # the screen loads the review core in its worker, not at import
    from core.review import ReviewSession
    from store.database import Database
    from store.records import Example, Passage


@dataclass(frozen=True)
class NextCard:
    """The next card's body and copied spans, computed ahead of its key press."""

    body: Text
    passage: Optional["Passage"]
    copied: ConversationCopies


def shown_turns(example: "Example") -> tuple[tuple[Turn, ...], tuple[Turn, ...]]:
    """(final, original) student turns as (role, content) pairs; both empty without a student conversation."""
    final = tuple((str(t.get("role", "")), str(t.get("content", ""))) for t in example.final_student)
    original = tuple((str(t.get("role", "")), str(t.get("content", ""))) for t in example.student)
    return final, original


class CardSource:
    """Builds the cards of one session's examples from the store, caching passages and the next card's spans."""

    def __init__(self, db: "Database", project: Any = None) -> None:
        self.db = db
        self.project = project
        self._detector: Any = None  # the exercise-leak detector, built on the first edit
        self._passages: dict[int, Optional["Passage"]] = {}
        self._next_copied: Optional[tuple[tuple[Any, ...], ConversationCopies]] = None

    def passage(self, passage_id: int) -> Optional["Passage"]:
        if passage_id not in self._passages:
            self._passages[passage_id] = self.db.passages.find(passage_id) if passage_id else None
        return self._passages[passage_id]

    def view(self, session: "ReviewSession", showing_original: bool, showing_diff: bool = False) -> Optional[CardView]:
        """The card for the session's current example (None when the filters show nothing)."""
        example = session.current()
        if example is None:
            return None
        entry = session.entries[example.id]
        passage = self.passage(example.passage_id)
        text = example.final_text
        turns, original_turns = shown_turns(example)
        return CardView(
            example_id=example.id, status=entry.status, text=text, original=example.completion,
            template=example.template_id, template_version=example.template_version,
            book_title=session.book_titles.get(example.book_id, ""), tags=entry.tags, teacher=example.teacher,
            cost_usd=example.cost_usd, usage=dict(example.usage), flags=tuple(example.flags),
            events=tuple(session.events_in_force(example.id)),
            copied=self._copied(example.id, turns, text, passage),
            position=session.position + 1, count=len(session.order), showing_original=showing_original,
            turns=turns, original_turns=original_turns, shape=str(example.student_shape or ""),
            showing_diff=showing_diff)

    @staticmethod
    def _key(example_id: int, turns: tuple[Turn, ...], text: str, passage_text: str) -> tuple[Any, ...]:
        return (example_id, turns, text if not turns else "", passage_text)

    def _copied(self, example_id: int, turns: tuple[Turn, ...], text: str,
                passage: Optional["Passage"]) -> ConversationCopies:
        """The copied spans of every turn shown, reused when `next_card` found them while idle."""
        passage_text = passage.text if passage is not None else ""
        key = self._key(example_id, turns, text, passage_text)
        if self._next_copied is not None and self._next_copied[0] == key:
            return self._next_copied[1]
        return conversation_copies([content for _role, content in turns] if turns else [text], passage_text)

    def next_card(self, session: "ReviewSession") -> Optional[NextCard]:
        """The card after the current one in the session's order, its spans kept for when it is shown."""
        position = session.position + 1
        if not 0 < position < len(session.order):
            return None
        example = self.db.examples.find(session.order[position])
        if example is None:
            return None
        passage = self.passage(example.passage_id)
        text = example.final_text
        turns, original_turns = shown_turns(example)
        passage_text = passage.text if passage is not None else ""
        copied = conversation_copies([content for _role, content in turns] if turns else [text], passage_text)
        self._next_copied = (self._key(example.id, turns, text, passage_text), copied)
        return NextCard(card_body(bool(original_turns), turns, text, copied), passage, copied)

    def refresh_student_flags(self, session: "ReviewSession", example_id: int) -> None:
        """After an edit of the conversation (or its undo): its student flags follow what the card shows."""
        from core.quality.flagger import refresh_student_flags, student_detector

        if self._detector is None:
            self._detector = student_detector(self.project, self.db) if self.project is not None else None
        if self._detector is not None:
            session.update_flags(example_id, refresh_student_flags(self.db, example_id, self._detector))

    def cluster_members(self, session: "ReviewSession", members: list[int]) -> list[ClusterMember]:
        """The rows of the cluster picker: each member's status, text, flags and length."""
        shown = []
        for member_id in members:
            text = self.db.examples.get(member_id).final_text
            entry = session.entries[member_id]
            shown.append(ClusterMember(member_id, entry.status, text, entry.flags, len(text.split())))
        return shown
