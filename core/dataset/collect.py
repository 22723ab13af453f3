"""Accepted examples from the store, as `DatasetItem`s holding their student conversation.

WHY through `ExampleRepository.accepted_for_export`: a build reads every accepted example once, so it
needs a fast path, and that path belongs to the store (which alone knows the documents' shape); the
rows it returns already carry the `Example` record's own `final_student` (the reviewer's turns).

Only the student conversation becomes a training row (issue 14): an accepted example made before
student conversations existed has none and is left out, counted, and the build says how to backfill it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.dataset.items import DatasetItem, student_messages
from core.dataset.mix import Mix, book_group
from store.database import Database
from store.examples import ExportRow
from store.records import Book

BACKFILL_HINT = ("run `interiority backfill` (or press b on the Queue screen) to ask the teacher for the user "
                 "turns they answer, then build again")


@dataclass
class Collected:
    """Accepted examples grouped for a mix, and what the mix left out."""

    items: list[DatasetItem]
    mix: Mix
    unassigned: dict[str, int] = field(default_factory=dict)  # book group -> accepted examples outside the mix
    malformed: list[int] = field(default_factory=list)  # example ids whose conversation cannot train anything
    without_student: list[int] = field(default_factory=list)  # accepted, but no student conversation yet
    books: dict[int, Book] = field(default_factory=dict)

    def without_student_sentence(self) -> str:
        """What the build says about examples it left out for want of a student conversation ("" if none)."""
        count = len(self.without_student)
        if not count:
            return ""
        return (f"{count} accepted example{'s' if count != 1 else ''} {'have' if count != 1 else 'has'} no "
                f"student conversation (made before student conversations) and {'were' if count != 1 else 'was'} "
                f"left out; {BACKFILL_HINT}.")


def collect_accepted(db: Database, mix: Mix, persona: str = "") -> Collected:
    """Every accepted example whose book the mix has a place for, as its student conversation."""
    books = {book.id: book for book in db.books}
    accepted = db.examples.accepted_for_export()
    present = {row.book_id for row in accepted}
    mix = mix.with_groups(book_group(b) for b in books.values() if b.id in present)
    group_of_book: dict[int, str | None] = {book_id: mix.resolve_group(book) for book_id, book in books.items()}
    tags_by_passage = passage_tags(db, {row.passage_id for row in accepted})
    out = Collected(items=[], mix=mix, books=books)
    for row in accepted:
        group = group_of_book.get(row.book_id)
        if group is None:
            book = books.get(row.book_id)
            label = book_group(book) if book else f"missing book {row.book_id}"
            out.unassigned[label] = out.unassigned.get(label, 0) + 1
            continue
        if not row.final_student:
            out.without_student.append(row.id)
            continue
        item = example_item(row, group, tags_by_passage.get(row.passage_id, []), persona)
        if item is None:
            out.malformed.append(row.id)
        else:
            out.items.append(item)
    return out


def passage_tags(db: Database, passage_ids: set[int]) -> dict[int, list[str]]:
    """Tags of the passages the accepted examples came from (a deleted passage has none)."""
    out: dict[int, list[str]] = {}
    for passage_id in passage_ids:
        view = db.passages.view(passage_id) if passage_id else None  # read-only, no record built
        if view is not None:
            out[passage_id] = [str(tag) for tag in view.get("tags") or []]
    return out


def _last_answer(turns: list[dict[str, str]]) -> str:
    for turn in reversed(turns):
        if turn.get("role") == "assistant":
            return turn.get("content", "")
    return ""


def example_item(row: ExportRow, group: str, tags: list[str], persona: str = "") -> DatasetItem | None:
    """An item from one accepted example's student conversation; None when it cannot train anything."""
    messages = student_messages(row.final_student, persona)
    if messages is None:
        return None
    return DatasetItem(
        key=row.id, messages=messages, source="example", group=group, original=_last_answer(row.student),
        edited=row.edited, passage_id=row.passage_id, book_id=row.book_id, template_id=row.template_id,
        template_version=row.template_version, teacher=row.teacher, tags=list(tags), created=row.created,
        shape=row.student_shape, request_hash=row.request_hash)
