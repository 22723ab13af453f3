"""Odd and hostile database folders: one StoreError sentence each, nothing changed, no traceback."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from store import Database, Job, StoreCorruptError, StoreError
from store.journal import JOURNAL_NAME, LOCK_NAME, SNAPSHOT_NAME, JournalDB
from store.journal_format import encode_header, encode_line, seal


def _files(path: Path) -> dict[str, bytes]:
    return {n: (path / n).read_bytes() for n in sorted(os.listdir(path)) if (path / n).is_file() and n != "lock"}


def _write_journal(path: Path, *entries: Any) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / JOURNAL_NAME).write_bytes(encode_header(0) + b"".join(encode_line(e) for e in entries))


def _refused(path: Path, match: str) -> str:
    before = _files(path)
    with pytest.raises(StoreError, match=match) as info:
        Database(path).close()
    assert _files(path) == before
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


@pytest.mark.parametrize("entry, why", [
    ([1, 2], "not an object"),
    ({"t": "jobs", "put": {"1": [1]}}, "document 1 is a list"),
    ({"t": "jobs", "put": {"x": {}}}, "not a whole number"),
    ({"t": "jobs", "put": "all"}, "not an object"),
    ({"t": 5, "put": {}}, "no table name"),
    ({"t": "jobs", "del": "1"}, "deleted ids"),
    ({"t": "jobs", "clear": "yes"}, "true or false"),
    ({"t": "jobs", "drop": True}, "unknown field"),
    ({"ops": []}, "transaction"),
])
def test_non_object_and_wrong_shaped_changes_in_the_journal(tmp_path: Path, entry: Any, why: str) -> None:
    _write_journal(tmp_path, {"t": "jobs", "put": {"1": {"status": "done"}}}, entry)
    message = _refused(tmp_path, why)
    assert "line 3" in message


def test_wrong_typed_fields_of_a_record(tmp_path: Path) -> None:
    _write_journal(tmp_path, {"t": "jobs", "put": {"1": {"status": "done", "attempts": "lots"}}})
    assert "jobs record 1: field 'attempts' is text, not a whole number" in _refused(tmp_path, "damaged")


def test_a_deeply_nested_document_in_the_journal(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    deep = b'{"t":"jobs","put":{"1":{"usage":' + b"[" * 100_000 + b"]" * 100_000 + b"}}}"
    (tmp_path / JOURNAL_NAME).write_bytes(encode_header(0) + seal(deep))
    assert "line 2" in _refused(tmp_path, "not readable JSON")


def test_a_deeply_nested_snapshot(tmp_path: Path) -> None:
    (tmp_path / SNAPSHOT_NAME).write_bytes(seal(b'{"format":2,"generation":1,"tables":' + b"[" * 100_000
                                                + b"]" * 100_000 + b"}"))
    (tmp_path / JOURNAL_NAME).write_bytes(encode_header(1))
    _refused(tmp_path, "snapshot.json is damaged")


@pytest.mark.parametrize("snapshot", [b"[]", b'{"generation":1,"tables":[]}', b'{"generation":"1","tables":{}}',
                                      b'{"generation":1,"tables":{"jobs":{"1":"x"}}}'])
def test_a_wrong_shaped_legacy_snapshot(tmp_path: Path, snapshot: bytes) -> None:
    (tmp_path / SNAPSHOT_NAME).write_bytes(snapshot)
    (tmp_path / JOURNAL_NAME).write_bytes(b'{"generation":1}\n')
    _refused(tmp_path, "snapshot.json is damaged")


@pytest.mark.parametrize("version", ['"two"', "1.5", "-1", "true", "null"])
def test_a_schema_version_that_is_not_a_whole_number(tmp_path: Path, version: str) -> None:
    with Database(tmp_path) as db:
        db.jobs.add(Job())
    with JournalDB(tmp_path) as raw:
        raw.table("meta").update({"schema_version": __import__("json").loads(version)}, doc_ids=[1])
    assert "schema version" in _refused(tmp_path, "not a whole number")


@pytest.mark.parametrize("name", [JOURNAL_NAME, SNAPSHOT_NAME, LOCK_NAME])
def test_a_folder_where_a_database_file_should_be(tmp_path: Path, name: str) -> None:
    with Database(tmp_path) as db:
        db.jobs.add(Job())
    if name == SNAPSHOT_NAME:
        os.mkdir(tmp_path / name)
    else:
        target = tmp_path / name
        target.unlink()
        target.mkdir()
    assert name in _refused(tmp_path, "is a folder")


def test_a_read_only_project_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Database(tmp_path) as db:
        db.jobs.add(Job())
    real_open = os.open

    def read_only(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and str(path).startswith(str(tmp_path)):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    assert "Read-only file system" in _refused(tmp_path, "writable")


def test_a_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="Could not open the database"):
        Database(blocker / "db")
