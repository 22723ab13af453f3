"""Passage creation and validation through core.passages."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.library import import_book
from core.passages import (PassageError, create_passage, delete_passage, passages_for_book, resize_passage,
                           update_passage)


@pytest.fixture
def book(project, db, tmp_path: Path):
    path = tmp_path / "b.txt"
    path.write_text("She thought of the sea.\n\nHe did not answer her.\n", encoding="utf-8")
    return import_book(project, db, path)


def test_create_update_resize_delete(project, db, book) -> None:
    passage = create_passage(project, db, book.id, 0, 23, tags=[" Sea ", "memory", "sea"], verdict="valuable",
                             note=" why ", phenomenology="longing", template_ids=["1", "1", "3"])
    assert (passage.text, passage.tags, passage.note, passage.template_ids) == (
        "She thought of the sea.", ["sea", "memory"], "why", ["1", "3"])
    overlapping = create_passage(project, db, book.id, 4, 30)
    assert [p.id for p in passages_for_book(db, book.id)] == [passage.id, overlapping.id]
    updated = update_passage(db, passage.id, verdict="unsure", tags=["Loss"], phenomenology="quiet dread")
    assert (updated.verdict, updated.tags, updated.phenomenology) == ("unsure", ["loss"], "quiet dread")
    resized = resize_passage(project, db, passage.id, 25, 47)
    assert resized.text == "He did not answer her."
    delete_passage(db, passage.id)
    assert [p.id for p in passages_for_book(db, book.id)] == [overlapping.id]


@pytest.mark.parametrize("start,end,message", [(5, 5, "empty"), (-1, 4, "not inside"), (0, 10_000, "not inside"),
                                               (23, 25, "blank space")])
def test_bad_spans(project, db, book, start: int, end: int, message: str) -> None:
    with pytest.raises(PassageError, match=message):
        create_passage(project, db, book.id, start, end)


def test_bad_fields(project, db, book) -> None:
    with pytest.raises(PassageError, match="not one of"):
        create_passage(project, db, book.id, 0, 5, verdict="great")
    with pytest.raises(PassageError, match="one or two words"):
        create_passage(project, db, book.id, 0, 5, phenomenology="a b c")
    passage = create_passage(project, db, book.id, 0, 5)
    with pytest.raises(PassageError, match="Cannot set start"):
        update_passage(db, passage.id, start=3)
    with pytest.raises(PassageError, match="No passage with id 999"):
        update_passage(db, 999, note="x")
    with pytest.raises(Exception, match="No book with id 42"):
        create_passage(project, db, 42, 0, 5)
    assert len(db.passages) == 1
