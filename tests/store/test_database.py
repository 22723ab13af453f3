"""Typed repositories, schema versions and migrations."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import Book, Database, Decision, Example, NotFoundError, Passage
from store.database import SCHEMA_VERSION, SchemaTooNewError


def test_records_round_trip_through_the_journal(tmp_path: Path) -> None:
    with Database(tmp_path) as db:
        book = db.books.add(Book(title="War and Peace", author="Leo Tolstoy", sha256="abc"))
        passage = db.passages.add(Passage(book_id=book.id, start=10, end=50, text="x", tags=["memory"]))
        example = db.examples.add(Example(passage_id=passage.id, book_id=book.id, template_id="direct",
                                          messages=[{"role": "assistant", "content": "hello"}]))
        db.decisions.add(Decision(example_id=example.id, action="accept", seconds=2.5))
    with Database(tmp_path) as db:
        assert db.books.by_sha256("abc").title == "War and Peace"
        assert db.passages.for_book(book.id)[0].tags == ["memory"]
        assert db.examples.get(example.id).completion == "hello"
        assert db.decisions.for_example(example.id)[0].seconds == 2.5
        assert db.passages.tag_counts()["memory"] == 1


def test_records_do_not_alias_stored_lists(tmp_path: Path) -> None:
    with Database(tmp_path) as db:
        passage = db.passages.add(Passage(book_id=1, tags=["a"]))
        loaded = db.passages.get(passage.id)
        loaded.tags.append("b")
        assert db.passages.get(passage.id).tags == ["a"]


def test_update_and_missing_ids(tmp_path: Path) -> None:
    with Database(tmp_path) as db:
        book = db.books.add(Book(title="t"))
        db.books.set_position(book.id, 12, 7)
        assert db.books.get(book.id).position == [12, 7]
        with pytest.raises(NotFoundError, match="No book with id 99"):
            db.books.get(99)
        with pytest.raises(NotFoundError):
            db.books.update(99, title="x")


def test_schema_version_is_recorded_and_a_newer_one_refused(tmp_path: Path) -> None:
    with Database(tmp_path) as db:
        assert db.schema_version == SCHEMA_VERSION
        db.db.table("meta").update({"schema_version": SCHEMA_VERSION + 1}, doc_ids=[1])
    with pytest.raises(SchemaTooNewError, match="Upgrade Interiority"):
        Database(tmp_path)


def test_migrations_run_in_order_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import store.database as database

    ran = []
    monkeypatch.setattr(database, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(database, "MIGRATIONS", {
        1: lambda db: ran.append(1),
        2: lambda db: ran.append(2),
        3: lambda db: db.table("books").update({"group": "g"}) or ran.append(3),
    })
    with Database(tmp_path) as db:
        assert db.schema_version == 3
    with Database(tmp_path):
        pass
    assert ran == [1, 2, 3]
