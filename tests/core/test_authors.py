"""Author names as source groups: transliteration variants are one group, merges go through Book.group."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.cli import main
from core.library.authors import (GroupError, author_key, canonical_groups, merge_groups, set_book_group,
                                  source_groups)
from store import Database
from store.records import Book

SAME_WRITER = [
    ["Feodor Dostoevsky", "Fyodor Dostoevsky", "Fyodor Dostoyevsky", "Dostoyevsky, Fyodor", "Fjodor Dostojewski",
     "Fyodor Mikhailovich Dostoevsky", "Fiodor Dostoievski", "Фёдор Достоевский", "Fyodor Dostoevsky (1821-1881)"],
    ["Leo Tolstoy", "Lev Tolstoy", "graf Leo Tolstoy", "Lyof N. Tolstoi", "Tolstoy, Leo, graf, 1828-1910",
     "Count Lev Nikolayevich Tolstoj", "Лев Толстой"],
    ["Anton Chekhov", "Anton Tchekhoff", "Anton Tchekhov"],
    ["Ivan Turgenev", "Ivan Turgenieff", "Iwan Turgenjew"],
    ["Nikolai Gogol", "Nikolay Gogol", "Nicholas Gogol"],
]
DIFFERENT_WRITERS = [("Leo Tolstoy", "Aleksey Tolstoy"), ("Henry James", "William James"),
                     ("Author 0", "Author 1"), ("contemporary memoirs", "collected memoirs"),
                     ("Virginia Woolf", "Leonard Woolf")]


@pytest.mark.parametrize("spellings", SAME_WRITER, ids=lambda s: s[0])
def test_spellings_of_one_writer_have_one_key(spellings: list[str]) -> None:
    keys = {author_key(name) for name in spellings}
    assert len(keys) == 1, keys


@pytest.mark.parametrize("a, b", DIFFERENT_WRITERS)
def test_different_writers_keep_their_own_keys(a: str, b: str) -> None:
    assert author_key(a) != author_key(b)


def test_canonical_groups_take_the_spelling_most_books_use() -> None:
    names = ["Feodor Dostoevsky", "Fyodor Dostoevsky", "Fyodor Dostoevsky", "Leo Tolstoy", "Lev Tolstoy",
             "L. Tolstoy", "Aleksey Tolstoy", "Proust", "Marcel Proust", "Woolf", "Virginia Woolf", "Leonard Woolf"]
    groups = canonical_groups(names)
    assert {groups[n] for n in names[:3]} == {"Fyodor Dostoevsky"}
    # A tie goes to the full name first, then alphabetically; an initial joins the one name it can mean.
    assert {groups[n] for n in ("Leo Tolstoy", "Lev Tolstoy", "L. Tolstoy")} == {"Leo Tolstoy"}
    assert groups["Aleksey Tolstoy"] == "Aleksey Tolstoy"
    assert groups["Proust"] == "Marcel Proust"
    assert groups["Woolf"] == "Woolf"  # two Woolfs: a bare surname joins neither


NAME_WORD = st.text(alphabet=string.ascii_letters, min_size=2, max_size=12).filter(
    lambda w: w.lower() not in {"count", "countess", "graf", "grafinya", "sir", "lady", "lord", "mr", "mrs", "ms",
                                "miss", "dr", "prince", "princess", "baron", "baroness", "jr", "sr", "junior",
                                "senior", "st"})


@settings(max_examples=300, deadline=None)
@given(first=NAME_WORD, last=NAME_WORD, middle=st.lists(NAME_WORD, max_size=2))
def test_key_ignores_case_order_middle_names_and_accents(first: str, last: str, middle: list[str]) -> None:
    """A header's name, however it is cased, ordered or padded, means the same writer (300 examples)."""
    plain = author_key(f"{first} {last}")
    assert author_key(f"{first.upper()}  {last.lower()}") == plain
    assert author_key(f"{last}, {first}") == plain
    assert author_key(" ".join([first, *middle, last])) == plain
    assert author_key(f"{first} {last} (1800-1870)") == plain


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=12))
def test_canonical_groups_map_every_name_to_a_given_name_and_are_idempotent(names: list[str]) -> None:
    """Any names at all (200 examples): each maps to one of the names given, and display names map to themselves."""
    groups = canonical_groups(names)
    assert set(groups) == {n.strip() for n in names if n.strip()}
    assert set(groups.values()) <= set(groups)
    assert all(groups[display] == display for display in set(groups.values()))


def _library(db: Database) -> list[Book]:
    return [db.books.add(Book(title=t, author=a, group=a)) for t, a in [
        ("The Idiot", "Feodor Dostoevsky"), ("Demons", "Fyodor Dostoyevsky"), ("Notes", "Fyodor Dostoevsky"),
        ("Poor Folk", "Fyodor Dostoevsky"),
        ("War and Peace", "Leo Tolstoy"), ("Resurrection", "Lev Tolstoy"), ("Swann's Way", "Marcel Proust")]]


def test_source_groups_and_merge_through_book_group(db) -> None:
    books = _library(db)
    groups = {g.name: g for g in source_groups(db.books)}
    assert set(groups) == {"Fyodor Dostoevsky", "Leo Tolstoy", "Marcel Proust"}
    assert groups["Fyodor Dostoevsky"].book_ids == [b.id for b in books[:4]]
    assert set(groups["Fyodor Dostoevsky"].spellings) == {"Feodor Dostoevsky", "Fyodor Dostoyevsky",
                                                         "Fyodor Dostoevsky"}
    merged = merge_groups(db, ["Fyodor Dostoevsky", "lev tolstoy"], "Russians")
    assert [b.id for b in merged] == [b.id for b in books[:6]]
    assert {db.books.get(b.id).group for b in books[:6]} == {"Russians"}
    assert {g.name for g in source_groups(db.books)} == {"Russians", "Marcel Proust"}
    with pytest.raises(GroupError, match="No source group is called 'Woolf'"):
        merge_groups(db, ["Woolf"], "X")
    with pytest.raises(GroupError, match="Give the merged group a name"):
        merge_groups(db, ["Russians"], "  ")
    assert set_book_group(db, books[5].id, "").group == "Lev Tolstoy"  # back to its author


def test_build_mix_uses_the_normalised_group(project, db) -> None:
    from core.dataset import BuildSpec, preview_mix
    from tests.dataset.synthetic import add_book

    add_book(db, "The Idiot", "Feodor Dostoevsky", passages=6, per_passage=2)
    add_book(db, "Demons", "Fyodor Dostoevsky", passages=6, per_passage=2)
    add_book(db, "Karamazov", "Fyodor Dostoyevsky", passages=6, per_passage=2)
    add_book(db, "Poor Folk", "Fyodor Dostoevsky", passages=6, per_passage=2)
    add_book(db, "Swann's Way", "Marcel Proust", passages=6, per_passage=2)
    preview = preview_mix(project, db, BuildSpec(name="p"))
    assert {r.group: r.available for r in preview.rows} == {"Fyodor Dostoevsky": 48, "Marcel Proust": 12}
    assert {r.group: r.share for r in preview.rows} == {"Fyodor Dostoevsky": 0.5, "Marcel Proust": 0.5}


def test_groups_cli_lists_and_merges(project, capsys) -> None:
    with Database(project.db_path) as db:
        _library(db)
    root = str(project.root)
    assert main(["--project", root, "groups"]) == 0
    out = capsys.readouterr().out
    assert "Fyodor Dostoevsky: 4 books" in out and "also spelt: Feodor Dostoevsky; Fyodor Dostoyevsky" in out
    assert main(["--project", root, "groups", "merge", "Leo Tolstoy", "Marcel Proust", "--into", "Novelists",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["group"] == "Novelists"
    assert main(["--project", root, "groups", "merge", "Nobody", "--into", "X"]) == 2
    assert "No source group is called 'Nobody'" in capsys.readouterr().err
    assert main(["--project", root, "groups", "--json"]) == 0
    assert {g["name"] for g in json.loads(capsys.readouterr().out)} == {"Fyodor Dostoevsky", "Novelists"}
