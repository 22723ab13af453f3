"""The generated examples aggregate."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Mapping

from store.records import Example
from store.repository import Repository


class ExampleRepository(Repository[Example]):
    record_class = Example

    def by_status(self, *statuses: str) -> list[Example]:
        wanted = set(statuses)
        return self.where(lambda d: d.get("status", "pending") in wanted)

    def for_passage(self, passage_id: int) -> list[Example]:
        return self.where_eq(passage_id=passage_id)

    def status_counts(self) -> Counter[str]:
        return Counter(d.get("status", "pending") for d in list(self.table._read_table().values()))

    def counts_by_book(self) -> dict[int, Counter[str]]:
        """Per book: examples by status (for the library's columns)."""
        out: dict[int, Counter[str]] = {}
        for doc in list(self.table._read_table().values()):
            out.setdefault(int(doc.get("book_id", 0)), Counter())[doc.get("status", "pending")] += 1
        return out

    def accepted_for_export(self) -> list["ExportRow"]:
        """Every accepted example as a light row for dataset builds (the fast path for tens of thousands).

        WHY here: a build reads every accepted example once; `from_doc` deep-copies usage, flags and
        provenance it does not need.  Each row is built from the document without copying it: the
        `Example` properties decide `completion` and `final_text` (one definition), and the messages are
        fresh role/content dicts, so nothing handed out aliases the store's memory.
        """
        rows: list[ExportRow] = []
        for key, doc in list(self.table._read_table().items()):
            if doc.get("status") != "accepted":
                continue
            raw = doc.get("messages") or []
            messages = [{"role": str(m.get("role", "")), "content": str(m.get("content", ""))}
                        for m in raw if isinstance(m, Mapping)]
            view = Example(messages=messages, edited_text=str(doc.get("edited_text") or ""))
            rows.append(ExportRow(
                id=int(key), passage_id=int(doc.get("passage_id", 0)), book_id=int(doc.get("book_id", 0)),
                template_id=str(doc.get("template_id", "")), template_version=str(doc.get("template_version", "")),
                teacher=str(doc.get("teacher", "")), created=float(doc.get("created", 0.0)), messages=messages,
                completion=view.completion, final_text=view.final_text))
        return rows


@dataclass(frozen=True)
class ExportRow:
    """What a dataset build needs of one accepted example (see `ExampleRepository.accepted_for_export`)."""

    id: int
    passage_id: int
    book_id: int
    template_id: str
    template_version: str
    teacher: str
    created: float
    messages: list[dict[str, str]]  # fresh copies: role and content only
    completion: str  # the teacher's original answer
    final_text: str  # the reviewer's edit, else the completion

    @property
    def edited(self) -> bool:
        """The reviewer changed the answer (an edit that only reflows whitespace does not count)."""
        return self.final_text.strip() != self.completion.strip()
