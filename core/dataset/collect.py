"""Accepted examples from the store, as `DatasetItem`s with their source group resolved.

WHY through `ExampleRepository.accepted_for_export`: a build reads every accepted example once, so it
needs a fast path, and that path belongs to the store (which alone knows the documents' shape); the
rows it returns already carry the `Example` record's own `completion` and `final_text`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.dataset.items import DatasetItem, final_messages
from core.dataset.mix import Mix, book_group
from store.database import Database
from store.examples import ExportRow
from store.records import Book


@dataclass
class Collected:
    """Accepted examples grouped for a mix, and what the mix left out."""

    items: list[DatasetItem]
    mix: Mix
    unassigned: dict[str, int] = field(default_factory=dict)  # book group -> accepted examples outside the mix
    malformed: list[int] = field(default_factory=list)  # example ids without a user or assistant turn
    books: dict[int, Book] = field(default_factory=dict)


def collect_accepted(db: Database, mix: Mix) -> Collected:
    """Every accepted example whose book the mix has a place for."""
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
        item = example_item(row, group, tags_by_passage.get(row.passage_id, []))
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


def example_item(row: ExportRow, group: str, tags: list[str]) -> DatasetItem | None:
    """An item from one accepted example; None when it has no user turn or no answer to train on."""
    messages = final_messages(row.messages, row.final_text)
    if messages is None:
        return None
    return DatasetItem(
        key=row.id, messages=messages, source="example", group=group, original=row.completion,
        edited=row.edited, passage_id=row.passage_id, book_id=row.book_id, template_id=row.template_id,
        template_version=row.template_version, teacher=row.teacher, tags=list(tags), created=row.created)
