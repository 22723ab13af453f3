"""The review decisions aggregate: an append-only event log (never updated, never deleted), and the notes
reviewers write about the teacher.

A decision changes what readers see of its example (the cached `status` / `edited_text` /
`edited_student` that lists and exports read without folding the log), so `record` writes the event and that cached fold as one journal
change: a process killed at any point leaves either both or neither, for every reader.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from store.journal import JournalDB
from store.records import Decision, Example, ExampleStatus, ReviewNote
from store.repository import NotFoundError, Repository

FAILURE_PATTERNS = "failure_patterns"


class ReviewNoteRepository(Repository[ReviewNote]):
    record_class = ReviewNote

    def of_kind(self, kind: str) -> list[ReviewNote]:
        """The notes of one kind, oldest first."""
        return sorted(self.where_eq(kind=kind), key=lambda note: note.id)

    def has_kind(self, kind: str) -> bool:
        return any(doc.get("kind") == kind for doc in list(self.table._read_table().values()))


class DecisionRepository(Repository[Decision]):
    record_class = Decision

    def __init__(self, db: JournalDB) -> None:
        super().__init__(db)
        self.notes = ReviewNoteRepository(db)

    def for_example(self, example_id: int) -> list[Decision]:
        return sorted(self.where_eq(example_id=example_id), key=lambda d: d.id)

    def in_order(self) -> list[Decision]:
        return sorted(self, key=lambda d: d.id)

    def record(self, decision: Decision, status: ExampleStatus, edited_text: str,
               edited_student: Sequence[Mapping[str, str]] = ()) -> Decision:
        """Append `decision` and set its example's cached fold (`status`, `edited_text`, `edited_student`) in
        one journal change.

        Raises `NotFoundError` when the example does not exist (nothing is written then).
        """
        turns = [{"role": str(t.get("role", "")), "content": str(t.get("content", ""))} for t in edited_student]
        examples = self.db.table(Example.table)
        with self.db.transaction():
            if str(decision.example_id) not in examples._read_table():
                raise NotFoundError(f"No example with id {decision.example_id}.")
            self.add(decision)
            examples.update({"status": status, "edited_text": edited_text, "edited_student": turns,
                             "updated": decision.created}, doc_ids=[decision.example_id])
        return decision
