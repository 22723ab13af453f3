"""The library CLI on every corpus book: import once per module, then list, inspect, annotate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main
from tests.books.conftest import CORPUS_FILES
from tests.books.test_corpus_structure import EXPECTED


@pytest.fixture(scope="module")
def library_project(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> str:
    """A project with the whole corpus imported through the CLI (the slow part, done once)."""
    root = str(tmp_path_factory.mktemp("cli") / "project")
    for name in CORPUS_FILES:
        assert main(["import", str(corpus / name), "--project", root]) == 0
    return root


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]):
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_books_lists_every_corpus_book(library_project: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _json(capsys, ["books", "--json", "--project", library_project])
    assert [r["id"] for r in rows] == list(range(1, len(CORPUS_FILES) + 1))
    for row, name in zip(rows, CORPUS_FILES):
        parts, chapters, paragraphs, title, author, *_ = EXPECTED[name]
        assert (row["title"], row["author"], row["chapters"], row["parts"], row["paragraphs"]) == (
            title, author, chapters, parts, paragraphs)
        assert row["chars"] > 100_000 and (row["passages"], row["examples"], row["accepted"]) == (0, 0, 0)
    assert main(["books", "--project", library_project]) == 0
    assert "War and Peace" in capsys.readouterr().out


@pytest.mark.parametrize("book_id", range(1, len(CORPUS_FILES) + 1))
def test_book_structure_and_passage(library_project: str, capsys: pytest.CaptureFixture[str], book_id: int) -> None:
    info = _json(capsys, ["book", str(book_id), "--json", "--project", library_project])
    parts, chapters, paragraphs, *_ = EXPECTED[CORPUS_FILES[book_id - 1]]
    assert (len(info["parts"]), len(info["chapters"]), info["paragraphs"]) == (parts, chapters, paragraphs)
    ranges = [c["paragraphs"] for c in info["chapters"]]
    assert all(first < end for first, end in ranges)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))  # chapters tile the book from the first
    assert ranges[-1][1] == paragraphs
    # A passage at the first chapter's heading, by its char span.
    start = info["chapters"][0]["chars"][0]
    passage = _json(capsys, ["passages", "add", str(book_id), "--start", str(start), "--end", str(start + 40),
                             "--tag", "Test", "--verdict", "unsure", "--json", "--project", library_project])
    assert passage["book_id"] == book_id and passage["tags"] == ["test"] and len(passage["text"]) == 40
    listed = _json(capsys, ["passages", "--book", str(book_id), "--json", "--project", library_project])
    assert [p["id"] for p in listed] == [passage["id"]]
    assert main(["book", str(book_id), "--project", library_project]) == 0
    assert info["chapters"][0]["title"] in capsys.readouterr().out


def test_errors_go_to_stderr_with_exit_2(library_project: str, capsys: pytest.CaptureFixture[str],
                                         corpus: Path, tmp_path: Path) -> None:
    cases = [
        (["import", str(corpus / "ulysses_4300.txt")], "already in the library as book 7"),
        (["import", str(tmp_path / "nope.txt")], "No file at"),
        (["import"], "either a PATH or --gutenberg"),
        (["book", "99"], "No book with id 99"),
        (["delete-book", "1"], "add --yes"),
        (["passages", "add", "1", "--start", "5", "--end", "5"], "is empty"),
    ]
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    cases.append((["import", str(empty)], "is empty"))
    for argv, message in cases:
        capsys.readouterr()
        assert main(argv + ["--project", library_project]) == 2, argv
        captured = capsys.readouterr()
        assert message in captured.err and captured.out == "" and "Traceback" not in captured.err


def test_delete_book_with_yes(library_project: str, capsys: pytest.CaptureFixture[str], corpus: Path,
                              tmp_path: Path) -> None:
    root = str(tmp_path / "other")
    assert main(["import", str(corpus / "notes_from_underground_600.txt"), "--group", "Russians",
                 "--project", root]) == 0
    rows = _json(capsys, ["books", "--json", "--project", root])
    assert rows[0]["group"] == "Russians"
    assert main(["passages", "add", "1", "--start", "0", "--end", "10", "--project", root]) == 0
    assert main(["delete-book", "1", "--yes", "--project", root]) == 0
    assert _json(capsys, ["books", "--json", "--project", root]) == []
    assert _json(capsys, ["passages", "--json", "--project", root]) == []
    assert [p.name for p in (Path(root) / "library").iterdir()] == []
