"""The library never writes or deletes outside itself, survives a full disk, and stores only text.

Issue 13 items 8 and 9: `delete-book` with a record naming `/abs/outside` or `../../victim.json`;
import on a full disk (ENOSPC injected at each write step) leaves no `.import-*.tmp` and no record;
`--note $'\\xff'` (a surrogate-escaped argument) and non-UTF-8 file names.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any, Callable

import pytest

from core.cli import main
from core.library import (BookNotFoundError, LibraryWriteError, NotTextError, delete_book, import_book,
                          load_book_text)
from core.library import files as library_files
from core.passages import create_passage, update_passage

BOOK = "CHAPTER I\n\nIt was a dark night.\n\nCHAPTER II\n\nThen morning came.\n"


@pytest.fixture
def small_book(tmp_path: Path) -> Path:
    path = tmp_path / "small.txt"
    path.write_text(BOOK, encoding="utf-8")
    return path


def _victims(tmp_path: Path) -> tuple[Path, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    absolute, relative = outside / "victim.txt", outside / "victim2.json"
    absolute.write_text("keep me", encoding="utf-8")
    relative.write_text("keep me too", encoding="utf-8")
    return absolute, relative


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink"])
def test_delete_book_deletes_nothing_outside_the_library_and_says_so(project, db, small_book: Path,
                                                                     tmp_path: Path, how: str) -> None:
    book = import_book(project, db, small_book)
    absolute, relative = _victims(tmp_path)
    if how == "absolute":
        names = (str(absolute), str(relative))
    elif how == "dotdot":
        names = (os.path.relpath(absolute, project.library), os.path.relpath(relative, project.library))
    else:
        (project.library / "link.txt").symlink_to(absolute)
        (project.library / "link.json").symlink_to(relative)
        names = ("link.txt", "link.json")
    own = [project.library / book.text_file, project.library / book.index_file]
    db.books.update(book.id, text_file=names[0], index_file=names[1])

    with pytest.raises(BookNotFoundError, match="names files outside the library"):
        load_book_text(project, db.books.get(book.id))
    deleted = delete_book(project, db, book.id)
    assert absolute.read_text(encoding="utf-8") == "keep me" and relative.read_text(encoding="utf-8") == "keep me too"
    assert deleted.refused_files == list(names) and deleted.removed_files == []
    assert "left untouched" in deleted.sentence() and names[0] in deleted.sentence()
    assert len(db.books) == 0 and all(path.exists() for path in own)  # orphans inside: harmless, not guessed at


def test_delete_book_command_reports_refused_files(project, db, small_book: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    book = import_book(project, db, small_book)
    absolute, relative = _victims(tmp_path)
    db.books.update(book.id, text_file=str(absolute), index_file="../../" + relative.name)
    db.close()
    assert main(["delete-book", str(book.id), "--yes", "--project", str(project.root)]) == 1
    out = capsys.readouterr().out
    assert f"Deleted book {book.id}" in out and "left untouched" in out and str(absolute) in out
    assert absolute.exists() and relative.exists()


# --- a full disk ---------------------------------------------------------------------------------

def _enospc(*args: Any, **kwargs: Any) -> Any:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _fail_on_call(number: int, real: Callable[..., Any]) -> Callable[..., Any]:
    """`real`, except that call `number` (1-based) raises ENOSPC."""
    calls = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == number:
            _enospc()
        return real(*args, **kwargs)
    return wrapper


class _FullFile:
    """A file object whose writes fail as on a full disk (after creating the file, as the OS does)."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def __enter__(self) -> "_FullFile":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.handle.close()

    def write(self, data: bytes) -> int:
        self.handle.write(data[: len(data) // 2])
        _enospc()
        return 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)


@pytest.mark.parametrize("step", ["write-text", "write-index", "fsync-text", "fsync-index", "rename-text",
                                  "rename-index", "mkdir"])
def test_import_on_a_full_disk_is_one_sentence_and_leaves_nothing(project, db, small_book: Path,
                                                                  monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    real_open = open
    if step.startswith("write"):
        target = 1 if step == "write-text" else 2
        opened = {"n": 0}

        def full_open(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            handle = real_open(path, mode, *args, **kwargs)
            if mode == "xb":
                opened["n"] += 1
                if opened["n"] == target:
                    return _FullFile(handle)
            return handle
        monkeypatch.setattr("builtins.open", full_open)
    elif step.startswith("fsync"):
        monkeypatch.setattr(library_files.os, "fsync", _fail_on_call(1 if step == "fsync-text" else 2, os.fsync))
    elif step.startswith("rename"):
        from core.library import importing
        monkeypatch.setattr(importing.os, "replace", _fail_on_call(1 if step == "rename-text" else 2, os.replace))
    else:
        monkeypatch.setattr(Path, "mkdir", _enospc)
    try:
        with pytest.raises(LibraryWriteError, match=r"is full; free some space and import the book again") as caught:
            import_book(project, db, small_book)
    finally:
        monkeypatch.undo()
    assert "\n" not in str(caught.value)
    assert len(db.books) == 0
    leftovers = sorted(p.name for p in project.library.iterdir()) if project.library.exists() else []
    assert leftovers == []  # no .import-*.tmp, no half-renamed book
    assert import_book(project, db, small_book).chars > 0  # and once there is space, the import works


def test_import_into_a_read_only_library_is_one_sentence(project, db, small_book: Path) -> None:
    project.library.mkdir(parents=True, exist_ok=True)
    project.library.chmod(0o500)
    try:
        if os.access(project.library, os.W_OK):
            pytest.skip("running as a user that can write anywhere (root)")
        with pytest.raises(LibraryWriteError, match="make the project folder writable"):
            import_book(project, db, small_book)
    finally:
        project.library.chmod(0o700)
    assert len(db.books) == 0 and list(project.library.iterdir()) == []


# --- text that is not text -------------------------------------------------------------------------

def test_a_surrogate_escaped_note_gets_a_sentence_and_stores_nothing(project, db, small_book: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    book = import_book(project, db, small_book)
    db.close()
    argv = ["passages", "add", str(book.id), "--start", "11", "--end", "20", "--note", "why \udcff",
            "--project", str(project.root)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("interiority: The note holds characters that are not UTF-8 text") and err.count("\n") == 1
    assert main(["passages", "--json", "--project", str(project.root)]) == 0
    assert capsys.readouterr().out.strip() == "[]"


@pytest.mark.parametrize("field", ["tags", "phenomenology", "note", "template_ids"])
def test_every_typed_passage_field_refuses_lone_surrogates(project, db, small_book: Path, field: str) -> None:
    book = import_book(project, db, small_book)
    passage = create_passage(project, db, book.id, 11, 20)
    value: Any = ["x\ud800"] if field in ("tags", "template_ids") else "x\udcff"
    with pytest.raises(NotTextError, match="not UTF-8 text"):
        update_passage(db, passage.id, **{field: value})
    assert db.passages.get(passage.id) == passage


def test_a_surrogate_escaped_group_is_refused_and_a_non_utf8_file_name_is_stored_safely(
        project, db, tmp_path: Path) -> None:
    odd = tmp_path / os.fsdecode(b"caf\xe9_book.txt")  # a Latin-1 file name on a UTF-8 system
    odd.write_text(BOOK, encoding="utf-8")
    with pytest.raises(NotTextError, match="group name"):
        import_book(project, db, odd, group="\udcff")
    book = import_book(project, db, odd)
    assert book.title == "Caf\ufffd book" and "\ufffd" in book.source_path
    assert db.books.get(book.id).title == book.title  # written and read back through the journal
