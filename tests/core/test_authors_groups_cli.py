"""`interiority groups merge/set` say the group a book is counted in, as `interiority groups` and builds name it."""

from __future__ import annotations

import json

from core.cli import main
from core.library.authors import find_group, source_group_of, source_groups
from store import Database
from store.records import Book


def _library(db) -> list[Book]:
    return [db.books.add(Book(title=t, author=a)) for t, a in (
        ("Karamazov", "Fyodor Dostoevsky"), ("Demons", "Fyodor Dostoevsky"), ("Crime", "Fyodor Dostoyevsky"),
        ("Anna", "Leo Tolstoy"), ("Dalloway", "Virginia Woolf"))]


def test_set_to_a_minority_spelling_names_the_group_it_joins(project, capsys) -> None:
    with Database(project.db_path) as db:
        books = _library(db)
    root = str(project.root)
    assert main(["--project", root, "groups", "set", str(books[2].id), "Dostoyevsky, Fyodor"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == (f"Book {books[2].id} (Crime) is in the source group 'Fyodor Dostoevsky' "
                           f"(spelt 'Dostoyevsky, Fyodor' on the book, the same writer).")
    assert main(["--project", root, "groups", "set", str(books[2].id), "Dostoyevsky, Fyodor", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"book": books[2].id, "group": "Dostoyevsky, Fyodor",
                                                   "source_group": "Fyodor Dostoevsky"}


def test_merge_into_another_writers_name_says_whose_group_it_joined(project, capsys) -> None:
    with Database(project.db_path) as db:
        books = _library(db)
    root = str(project.root)
    # "Woolf" alone finds Virginia Woolf's group (the one writer of that surname); "Tolstoy" is Leo Tolstoy.
    assert main(["--project", root, "groups", "merge", "Woolf", "--into", "Tolstoy"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == (f"Source group 'Leo Tolstoy' (spelt 'Tolstoy' on the book, the same writer) now holds "
                           f"books {books[3].id}, {books[4].id}.")
    with Database(project.db_path) as db:
        assert source_group_of(db.books, books[4].id) == "Leo Tolstoy"
        groups = source_groups(db.books)
        assert find_group(groups, "Tolstoy") is not None and find_group(groups, "L. Tolstoy") is not None
        assert find_group(groups, "A. Tolstoy") is None


def test_a_bare_surname_of_two_writers_finds_neither(db) -> None:
    db.books.add(Book(title="Portrait", author="Henry James"))
    db.books.add(Book(title="Varieties", author="William James"))
    groups = source_groups(db.books)
    assert find_group(groups, "James") is None
    assert find_group(groups, "W. James").name == "William James"
