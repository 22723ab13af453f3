"""Read-only commands run while another process (the studio) holds the database; write commands still refuse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from core.cli import READ_ONLY_COMMANDS, build_parser
from core.project import open_project
from store.database import Database
from store.records import Book
from tests.review.synthetic import make_example

ROOT = Path(__file__).resolve().parents[2]


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", "--project", str(project), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.name != "lock"}


def test_examples_and_books_read_while_the_studio_holds_the_database(tmp_path: Path) -> None:
    project = open_project(tmp_path / "p")
    writer = Database(project.db_path)  # what the studio holds: the exclusive lock, open for writing
    try:
        book = writer.books.add(Book(title="The Waves", author="Woolf", chars=1200, sha256="ab" * 32))
        first = writer.examples.add(make_example("The sea, the sea, and I again.", book_id=book.id))
        second = writer.examples.add(make_example("A window, and nothing behind it.", book_id=book.id,
                                                  template="uncertainty"))
        before = _files(project.db_path)

        examples = _run(project.root, "examples", "--json")
        assert examples.returncode == 0, examples.stderr
        rows = json.loads(examples.stdout)
        assert [(r["id"], r["template"], r["text"]) for r in rows] == [
            (first.id, "monologue", "The sea, the sea, and I again."),
            (second.id, "uncertainty", "A window, and nothing behind it.")]

        books = _run(project.root, "books", "--json")
        assert books.returncode == 0, books.stderr
        (row,) = json.loads(books.stdout)
        assert row["id"] == book.id and row["title"] == "The Waves" and row["examples"] == 2

        plain = _run(project.root, "books")
        assert plain.returncode == 0 and "The Waves" in plain.stdout

        # A write made after the reader ran is seen by the next reader: the state as of its open.
        writer.examples.add(make_example("Third.", book_id=book.id))
        again = _run(project.root, "examples", "--json")
        assert again.returncode == 0 and len(json.loads(again.stdout)) == 3
        assert before.keys() <= _files(project.db_path).keys()  # the reader created nothing, removed nothing
    finally:
        writer.close()


def test_a_write_command_still_refuses_with_the_lock_sentence(tmp_path: Path) -> None:
    project = open_project(tmp_path / "p")
    with Database(project.db_path) as writer:
        writer.books.add(Book(title="Anna", author="Tolstoy", chars=10, sha256="cd" * 32))
        result = _run(project.root, "passages", "add", "1", "--start", "0", "--end", "5")
        assert result.returncode == 2
        assert result.stderr.startswith("interiority: ")
        assert "is open in another Interiority process" in result.stderr
        assert "Traceback" not in result.stderr
        listing = _run(project.root, "passages", "--json")  # the same command without its action reads
        assert listing.returncode == 0, listing.stderr
        assert json.loads(listing.stdout) == []


def test_read_only_names_are_commands_and_nested_actions_write() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert sub.choices is not None
    assert READ_ONLY_COMMANDS <= set(sub.choices)
    assert parser.parse_args(["examples"]).read_only is True
    assert parser.parse_args(["passages"]).read_only is True
    assert parser.parse_args(["passages", "add", "1", "--start", "0", "--end", "2"]).read_only is False
    assert parser.parse_args(["groups"]).read_only is True
    assert parser.parse_args(["groups", "merge", "A", "--into", "B"]).read_only is False
    assert parser.parse_args(["groups", "set", "1", "B"]).read_only is False
    extra = {"decide": ["1", "accept"], "import": ["x"], "export": ["b"]}
    for name in ("decide", "import", "flag", "runs", "templates", "export"):
        assert parser.parse_args([name] + extra.get(name, [])).read_only is False, name


def test_every_read_only_command_that_opens_the_database_runs_beside_the_studio(tmp_path: Path) -> None:
    """None of them tries a write (the read-only store would refuse it with exit 2)."""
    project = open_project(tmp_path / "p")
    with Database(project.db_path) as writer:
        book = writer.books.add(Book(title="Mrs Dalloway", author="Woolf", chars=10, sha256="ef" * 32))
        writer.examples.add(make_example("She would buy the flowers herself.", book_id=book.id))
        for args in (["books"], ["passages"], ["groups"], ["examples"], ["review-stats"], ["builds"], ["devices"]):
            result = _run(project.root, *args, "--json")
            assert result.returncode == 0, (args, result.stderr)
            json.loads(result.stdout)


def test_a_reading_command_on_a_mistyped_project_path_creates_nothing(tmp_path: Path, capsys) -> None:
    from core.cli import main

    typo = tmp_path / "projcet"
    assert main(["books", "--project", str(typo)]) == 2
    err = capsys.readouterr().err
    assert f"No project at {typo}" in err and "check the --project path" in err
    assert not typo.exists()
    existing_folder = tmp_path / "photos"
    existing_folder.mkdir()
    assert main(["examples", "--project", str(existing_folder)]) == 2
    assert list(existing_folder.iterdir()) == []  # no interiority.toml, no db/ left in someone's folder
    project = open_project(tmp_path / "real")
    assert main(["books", "--project", str(project.root), "--json"]) == 0
