"""Passages: highlighted `[start, end)` spans of a book's normalized text, with their tagging.

The one place that validates a passage, so the reader, the sidebar and the CLI
all accept and refuse the same things.  Overlapping passages are allowed (a build keeps
overlapping spans in one split, see `core.dataset.split`); an exact duplicate (the same span,
or the same text under `text_key`) is refused, since it can only add a second copy of one text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable

from core.errors import UserError
from core.library import get_book, load_book_text
from core.library.text import require_text
from core.project import Project
from store.database import Database
from store.records import VERDICTS, Passage

MAX_PHENOMENOLOGY_WORDS = 2
_FIELDS = {"tags", "verdict", "note", "phenomenology", "template_ids"}


class PassageError(UserError):
    """A passage span or field that cannot be stored; the message says what to change."""


def normalize_tags(tags: Iterable[str]) -> list[str]:
    """Lowercase, stripped, inner whitespace collapsed, unique, in first-seen order."""
    out: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise PassageError(f"Tag {tag!r} is not text; give tags as words.")
        clean = " ".join(require_text(tag, "tag").lower().split())
        if clean and clean not in out:
            out.append(clean)
    return out


def validate_verdict(verdict: str) -> str:
    verdict = require_text(verdict or "", "verdict").strip().lower()
    if verdict and verdict not in VERDICTS:
        raise PassageError(f"Verdict {verdict!r} is not one of {', '.join(VERDICTS)} (or empty); pick one of those.")
    return verdict


def validate_phenomenology(words: str) -> str:
    clean = " ".join(require_text(words or "", "phenomenology").split())
    if len(clean.split()) > MAX_PHENOMENOLOGY_WORDS:
        raise PassageError(f"Phenomenology {clean!r} has more than {MAX_PHENOMENOLOGY_WORDS} words; "
                           f"name the experience in one or two words.")
    return clean


def _template_ids(ids: Iterable[str]) -> list[str]:
    out: list[str] = []
    for template_id in ids:
        clean = require_text(str(template_id), "template id").strip()
        if clean and clean not in out:
            out.append(clean)
    return out


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - _FIELDS
    if unknown:
        raise PassageError(f"Cannot set {', '.join(sorted(unknown))} on a passage; "
                           f"use tags, verdict, note, phenomenology or template_ids.")
    clean: dict[str, Any] = {}
    if "tags" in fields:
        clean["tags"] = normalize_tags([fields["tags"]] if isinstance(fields["tags"], str) else fields["tags"])
    if "verdict" in fields:
        clean["verdict"] = validate_verdict(fields["verdict"])
    if "note" in fields:
        clean["note"] = require_text(fields["note"] or "", "note").strip()
    if "phenomenology" in fields:
        clean["phenomenology"] = validate_phenomenology(fields["phenomenology"])
    if "template_ids" in fields:
        clean["template_ids"] = _template_ids(fields["template_ids"])
    return clean


def text_key(text: str) -> str:
    """A passage's text for "is this the same text": NFKC, case-folded, runs of spaces and punctuation as one space.

    WHY loose: the same sentence selected twice can differ by a trailing space, a quote mark or a
    line break, and must still count as one text (for `passages add` and for split groups).
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", folded).split())


class DuplicatePassageError(PassageError):
    """The span, or its text, is already a passage of that book."""


def _refuse_duplicate(db: Database, book_id: int, start: int, end: int, text: str, ignore: int = 0) -> None:
    existing = db.passages.find_duplicate(int(book_id), int(start), int(end), text_key, text, ignore=ignore)
    if existing is None:
        return
    same = "span" if (existing.start, existing.end) == (int(start), int(end)) else "text"
    verb = "changed" if ignore else "added"
    raise DuplicatePassageError(
        f"Book {book_id} already has this {same} as passage {existing.id} [{existing.start}, {existing.end}); "
        f"nothing was {verb}: tag that passage instead, or select a different span.")


def _span_text(project: Project, db: Database, book_id: int, start: int, end: int) -> str:
    book = get_book(db, book_id)
    try:
        start, end = int(start), int(end)
    except (TypeError, ValueError):
        raise PassageError(f"A passage span needs whole-number offsets, not {start!r} and {end!r}.") from None
    if start < 0 or end > book.chars or start >= end:
        raise PassageError(f"Span [{start}, {end}) is not inside book {book.id} (0 to {book.chars}) or is empty; "
                           f"give 0 <= start < end <= {book.chars}.")
    text = load_book_text(project, book).text[start:end]
    if not text.strip():
        raise PassageError(f"Span [{start}, {end}) of book {book.id} holds only blank space; select some text.")
    return text


def create_passage(project: Project, db: Database, book_id: int, start: int, end: int, *, tags: Iterable[str] = (),
                   verdict: str = "", note: str = "", phenomenology: str = "",
                   template_ids: Iterable[str] = ()) -> Passage:
    """Validate and store a new passage with a snapshot of its text."""
    text = _span_text(project, db, book_id, start, end)
    _refuse_duplicate(db, book_id, start, end, text)
    fields = _clean_fields({"tags": list(tags), "verdict": verdict, "note": note,
                            "phenomenology": phenomenology, "template_ids": list(template_ids)})
    return db.passages.add(Passage(book_id=int(book_id), start=int(start), end=int(end), text=text, **fields))


def get_passage(db: Database, passage_id: int) -> Passage:
    passage = db.passages.find(int(passage_id))
    if passage is None:
        raise PassageError(f"No passage with id {passage_id}; run `interiority passages` to list them.")
    return passage


def update_passage(db: Database, passage_id: int, **fields: Any) -> Passage:
    """Change tags, verdict, note, phenomenology or template_ids, validated like `create_passage`."""
    get_passage(db, passage_id)
    clean = _clean_fields(fields)
    if not clean:
        return get_passage(db, passage_id)
    return db.passages.update(int(passage_id), **clean)


def resize_passage(project: Project, db: Database, passage_id: int, start: int, end: int) -> Passage:
    """Move a passage's span (extend or shrink) and refresh its text snapshot."""
    passage = get_passage(db, passage_id)
    text = _span_text(project, db, passage.book_id, start, end)
    _refuse_duplicate(db, passage.book_id, start, end, text, ignore=passage.id)
    return db.passages.update(passage.id, start=int(start), end=int(end), text=text)


def delete_passage(db: Database, passage_id: int) -> None:
    get_passage(db, passage_id)
    db.passages.delete(int(passage_id))


def passages_for_book(db: Database, book_id: int) -> list[Passage]:
    """The book's passages in reading order."""
    return db.passages.for_book(int(book_id))
