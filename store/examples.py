"""The generated examples aggregate.

Besides CRUD, the hot paths get methods of their own here instead of reading documents elsewhere: the
review index loads 10,000 examples as `ExampleHead`s (no copy of the conversations, ~10x faster than
building every `Example`), lists filter before converting, and re-flagging writes every changed example in
one journal change.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from store.records import Example, ExampleStatus, now
from store.repository import Repository


@dataclass(frozen=True)
class ExampleHead:
    """What an index or a list needs of an example, without its conversation (read-only)."""

    id: int
    status: ExampleStatus
    template_id: str
    book_id: int
    passage_id: int
    teacher: str
    flag_codes: tuple[str, ...]  # sorted, distinct
    edited_text: str
    edited_student: tuple[tuple[str, str], ...] = ()  # the cached fold's turns as (role, content)


def _head(key: str, doc: Mapping[str, Any]) -> ExampleHead:
    flags = doc.get("flags") or []
    return ExampleHead(
        id=int(key), status=doc.get("status") or "pending", template_id=doc.get("template_id") or "",
        book_id=int(doc.get("book_id") or 0), passage_id=int(doc.get("passage_id") or 0),
        teacher=doc.get("teacher") or "",
        flag_codes=tuple(sorted({str(f.get("code", "")) for f in flags if isinstance(f, Mapping)})),
        edited_text=doc.get("edited_text") or "",
        edited_student=tuple((str(t.get("role", "")), str(t.get("content", "")))
                             for t in doc.get("edited_student") or () if isinstance(t, Mapping)))


def _completion(doc: Mapping[str, Any]) -> str:
    for message in reversed(doc.get("messages") or []):
        if isinstance(message, Mapping) and message.get("role") == "assistant":
            return str(message.get("content", ""))
    return ""


def _fresh_turns(turns: Any) -> list[dict[str, str]]:
    """Role/content copies of stored turns (nothing handed out aliases the store's memory)."""
    return [{"role": str(t.get("role", "")), "content": str(t.get("content", ""))}
            for t in turns or () if isinstance(t, Mapping)]


def _turns_text(turns: Any) -> str:
    """A conversation as one text ("User: ..." / "Assistant: ..."), for edit distances."""
    return "\n\n".join(f"{str(t.get('role', '')).title()}: {t.get('content', '')}"
                        for t in turns or () if isinstance(t, Mapping))


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

    # -- review and quality ---------------------------------------------------------------------------

    def heads(self) -> list[ExampleHead]:
        """Every example as an `ExampleHead`, by id."""
        items = list(self.table._read_table().items())
        return sorted((_head(key, doc) for key, doc in items), key=lambda head: head.id)

    def listing(self, status: Optional[str] = None, template_id: Optional[str] = None) -> list[Example]:
        """Examples by id, of one status (or "flagged": any example with flags) and one template when given."""
        def wanted(doc: Mapping[str, Any]) -> bool:
            if template_id and doc.get("template_id") != template_id:
                return False
            if status == "flagged":
                return bool(doc.get("flags"))
            return status is None or (doc.get("status") or "pending") == status

        return sorted(self.where(wanted), key=lambda example: example.id)

    def edits(self) -> list[tuple[int, str, str]]:
        """(id, the teacher's original, the reviewer's version) of every edited example, by id.

        An edit of the student conversation compares the whole conversations (every turn, labelled); an
        edit of the answer alone compares the answers.
        """
        out: list[tuple[int, str, str]] = []
        for key, doc in list(self.table._read_table().items()):
            if doc.get("edited_student"):
                out.append((int(key), _turns_text(doc.get("student")), _turns_text(doc["edited_student"])))
            elif doc.get("edited_text"):
                out.append((int(key), _completion(doc), str(doc["edited_text"])))
        return sorted(out)

    def flagged_count(self) -> int:
        return sum(1 for doc in list(self.table._read_table().values()) if doc.get("flags"))

    def set_flags(self, flags_by_id: Mapping[int, list[dict[str, Any]]]) -> list[int]:
        """Store new flags for the examples whose flags differ, in one journal change; returns their ids.

        Ids of examples that no longer exist are skipped (an example deleted while flags were computed).
        """
        docs = self.table._read_table()
        changed = [key for key, flags in flags_by_id.items()
                   if str(key) in docs and list(docs[str(key)].get("flags") or []) != flags]
        stamp = now()
        with self.db.transaction():
            for key in changed:
                self.table.update({"flags": flags_by_id[key], "updated": stamp}, doc_ids=[key])
        return changed

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
            view = Example(messages=messages, edited_text=str(doc.get("edited_text") or ""),
                           student=_fresh_turns(doc.get("student")),
                           edited_student=_fresh_turns(doc.get("edited_student")))
            rows.append(ExportRow(
                id=int(key), passage_id=int(doc.get("passage_id", 0)), book_id=int(doc.get("book_id", 0)),
                template_id=str(doc.get("template_id", "")), template_version=str(doc.get("template_version", "")),
                teacher=str(doc.get("teacher", "")), created=float(doc.get("created", 0.0)), messages=messages,
                completion=view.completion, final_text=view.final_text, student=view.student,
                final_student=view.final_student, student_shape=str(doc.get("student_shape") or ""),
                request_hash=str(doc.get("request_hash") or "")))
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
    # The student conversation (issue 14): the teacher's, and as it is exported (the reviewer's turns when
    # edited); both empty for an example made before student conversations (excluded from builds).
    student: list[dict[str, str]] = field(default_factory=list)
    final_student: list[dict[str, str]] = field(default_factory=list)
    student_shape: str = ""
    request_hash: str = ""

    @property
    def edited(self) -> bool:
        """The reviewer changed the answer or a turn (an edit that only reflows whitespace does not count)."""
        if self.student:
            return [" ".join(t["content"].split()) for t in self.final_student] != [
                " ".join(t["content"].split()) for t in self.student]
        return self.final_text.strip() != self.completion.strip()
