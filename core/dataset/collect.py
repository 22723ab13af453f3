"""Accepted examples from the store, as `DatasetItem`s with their source group resolved."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.dataset.items import DatasetItem, final_messages
from core.dataset.mix import Mix, book_group
from store.records import Book


@dataclass
class Collected:
    """Accepted examples grouped for a mix, and what the mix left out."""

    items: list[DatasetItem]
    mix: Mix
    unassigned: dict[str, int] = field(default_factory=dict)  # book group -> accepted examples outside the mix
    malformed: list[int] = field(default_factory=list)  # example ids without a user or assistant turn
    books: dict[int, Book] = field(default_factory=dict)


def collect_accepted(db, mix: Mix) -> Collected:  # db: store.Database
    """Every accepted example whose book the mix has a place for.

    Reads raw documents once (no per-record queries), so it stays fast at tens of
    thousands of examples.
    """
    books = {book.id: book for book in db.books}
    tags_by_passage: dict[int, list[str]] = {}
    for key, doc in list(db.passages.table._read_table().items()):
        tags_by_passage[int(key)] = list(doc.get("tags", []))
    # Raw documents, read not copied: final_messages() builds fresh messages, nothing here mutates them.
    accepted = [(int(key), doc) for key, doc in list(db.examples.table._read_table().items())
                if doc.get("status") == "accepted"]
    present = {int(doc.get("book_id", 0)) for _, doc in accepted}
    mix = mix.with_groups(book_group(b) for b in books.values() if b.id in present)
    group_of_book: dict[int, str | None] = {book_id: mix.resolve_group(book) for book_id, book in books.items()}
    out = Collected(items=[], mix=mix, books=books)
    for example_id, doc in accepted:
        book_id = int(doc.get("book_id", 0))
        group = group_of_book.get(book_id)
        if group is None:
            book = books.get(book_id)
            label = book_group(book) if book else f"missing book {book_id}"
            out.unassigned[label] = out.unassigned.get(label, 0) + 1
            continue
        item = example_item(example_id, doc, group, tags_by_passage.get(int(doc.get("passage_id", 0)), []))
        if item is None:
            out.malformed.append(example_id)
        else:
            out.items.append(item)
    return out


def example_item(example_id: int, doc: dict[str, Any], group: str, tags: list[str]) -> DatasetItem | None:
    """An item from one raw example document (the fields of `store.records.Example`)."""
    raw_messages = doc.get("messages") or []
    completion = next((str(m.get("content", "")) for m in reversed(raw_messages) if m.get("role") == "assistant"), "")
    edited_text = str(doc.get("edited_text") or "")
    messages = final_messages(raw_messages, edited_text or completion)
    if messages is None:
        return None
    edited = bool(edited_text) and edited_text.strip() != completion.strip()
    return DatasetItem(
        key=example_id, messages=messages, source="example", group=group, original=completion,
        edited=edited, passage_id=int(doc.get("passage_id", 0)), book_id=int(doc.get("book_id", 0)),
        template_id=str(doc.get("template_id", "")), template_version=str(doc.get("template_version", "")),
        teacher=str(doc.get("teacher", "")), tags=list(tags), created=float(doc.get("created", 0.0)))
