"""The journal storage: durability, torn lines, corruption, compaction, TinyDB's query API."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tinydb import Query

from store.journal_format import parse_snapshot
from store.journal import (JOURNAL_NAME, SNAPSHOT_NAME, JournalDB, StoreCorruptError, StoreLockedError,
                           StoreWriteError)


def _reopen(path: Path) -> JournalDB:
    return JournalDB(path)


def test_insert_update_remove_survive_reopen(tmp_path: Path) -> None:
    db = JournalDB(tmp_path)
    table = db.table("examples")
    ids = table.insert_multiple({"n": i, "tags": ["a"]} for i in range(10))
    table.update({"n": 100}, doc_ids=[ids[3]])
    table.update(lambda d: d.update(tag="x"), Query().n == 5)
    table.remove(doc_ids=[ids[0]])
    table.remove(Query().n == 9)
    db.close()

    db = _reopen(tmp_path)
    table = db.table("examples")
    assert len(table) == 8
    assert table.get(doc_id=ids[3])["n"] == 100
    assert table.search(Query().tag == "x")[0]["n"] == 5
    assert table.get(doc_id=ids[0]) is None
    assert table.count(Query().n == 9) == 0
    # ids keep increasing after a reopen (no reuse of a removed id's slot above the max)
    assert table.insert({"n": 11}) == max(ids) + 1
    db.close()


def test_query_cache_is_invalidated_by_writes(tmp_path: Path) -> None:
    db = JournalDB(tmp_path)
    table = db.table("t")
    table.insert({"k": 1})
    assert len(table.search(Query().k == 1)) == 1
    table.insert({"k": 1})
    assert len(table.search(Query().k == 1)) == 2
    table.update({"k": 2}, Query().k == 1)
    assert table.search(Query().k == 1) == []
    db.close()


def test_returned_documents_do_not_alias_the_store(tmp_path: Path) -> None:
    db = JournalDB(tmp_path)
    table = db.table("t")
    doc_id = table.insert({"tags": ["a"]})
    doc = table.get(doc_id=doc_id)
    doc["x"] = 1
    assert "x" not in table.get(doc_id=doc_id)
    db.close()


def test_upsert_and_truncate_and_drop(tmp_path: Path) -> None:
    db = JournalDB(tmp_path)
    table = db.table("t")
    table.upsert({"name": "a", "v": 1}, Query().name == "a")
    table.upsert({"name": "a", "v": 2}, Query().name == "a")
    assert [d["v"] for d in table.all()] == [2]
    other = db.table("o")
    other.insert({"z": 1})
    table.truncate()
    db.close()
    db = _reopen(tmp_path)
    assert len(db.table("t")) == 0
    assert len(db.table("o")) == 1
    db.drop_tables()
    db.close()
    db = _reopen(tmp_path)
    assert len(db.table("o")) == 0
    db.close()


def test_torn_last_line_is_dropped_and_appends_continue(tmp_path: Path) -> None:
    db = JournalDB(tmp_path)
    table = db.table("t")
    table.insert({"n": 1})
    table.insert({"n": 2})
    db.close()
    journal = tmp_path / JOURNAL_NAME
    with open(journal, "ab") as fh:
        fh.write(b'{"t":"t","put":{"3":{"n":')  # a write cut by a crash
    db = _reopen(tmp_path)
    assert db.journal.dropped_torn_line
    table = db.table("t")
    assert sorted(d["n"] for d in table.all()) == [1, 2]
    table.insert({"n": 3})
    db.close()
    db = _reopen(tmp_path)
    assert sorted(d["n"] for d in db.table("t").all()) == [1, 2, 3]
    assert not db.journal.dropped_torn_line
    db.close()


def test_corruption_in_the_middle_stops_with_the_file_named_and_changes_nothing(tmp_path: Path) -> None:
    db = JournalDB(tmp_path)
    table = db.table("t")
    for i in range(5):
        table.insert({"n": i})
    db.close()
    journal = tmp_path / JOURNAL_NAME
    lines = journal.read_bytes().split(b"\n")
    lines[2] = b'{"t": "t", "put": garbage'
    damaged = b"\n".join(lines)
    journal.write_bytes(damaged)
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(StoreCorruptError) as info:
        _reopen(tmp_path)
    assert str(journal) in str(info.value)
    assert "line 3" in str(info.value)
    assert journal.read_bytes() == damaged
    assert sorted(os.listdir(tmp_path)) == before


def test_corrupt_snapshot_is_named(tmp_path: Path) -> None:
    db = JournalDB(tmp_path)
    db.table("t").insert({"n": 1})
    db.journal.compact()
    db.close()
    snapshot = tmp_path / SNAPSHOT_NAME
    snapshot.write_bytes(snapshot.read_bytes()[:-5])
    with pytest.raises(StoreCorruptError) as info:
        _reopen(tmp_path)
    assert str(snapshot) in str(info.value)


def test_compaction_folds_the_journal_and_keeps_everything(tmp_path: Path) -> None:
    db = JournalDB(tmp_path, compact_min_bytes=2000, compact_ratio=1.0)
    table = db.table("t")
    for i in range(300):
        table.insert({"n": i, "pad": "x" * 50})
    for i in range(1, 301, 3):
        table.update({"n": -i}, doc_ids=[i])
    assert (tmp_path / SNAPSHOT_NAME).exists()
    generation = parse_snapshot(tmp_path / SNAPSHOT_NAME, (tmp_path / SNAPSHOT_NAME).read_bytes()).generation
    assert generation >= 1
    db.close()
    db = _reopen(tmp_path)
    table = db.table("t")
    assert len(table) == 300
    assert table.get(doc_id=4)["n"] == -4
    assert table.get(doc_id=5)["n"] == 4
    db.close()


def test_crash_between_snapshot_rename_and_new_journal_replays_nothing_twice(tmp_path: Path) -> None:
    db = JournalDB(tmp_path)
    table = db.table("t")
    table.insert({"n": 1})
    table.insert({"n": 2})
    old_journal = (tmp_path / JOURNAL_NAME).read_bytes()
    db.journal.compact()
    db.close()
    # Simulate the crash: the new snapshot is in place but the old journal is back.
    (tmp_path / JOURNAL_NAME).write_bytes(old_journal)
    db = _reopen(tmp_path)
    assert sorted(d["n"] for d in db.table("t").all()) == [1, 2]
    db.table("t").insert({"n": 3})
    db.close()
    db = _reopen(tmp_path)
    assert sorted(d["n"] for d in db.table("t").all()) == [1, 2, 3]
    db.close()


def test_second_process_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    import subprocess
    import sys

    db = JournalDB(tmp_path)
    code = f"from store.journal import JournalDB\nJournalDB({str(tmp_path)!r})"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode != 0
    assert "StoreLockedError" in result.stderr and "another Interiority process" in result.stderr
    db.close()


def test_failed_write_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = JournalDB(tmp_path)
    table = db.table("t")
    table.insert({"n": 1})
    size = (tmp_path / JOURNAL_NAME).stat().st_size

    real_write = os.write

    def full_disk(fd: int, data: bytes) -> int:
        if fd == db.journal._journal_fd:
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(StoreWriteError) as info:
        table.insert({"n": 2})
    assert "No space left" in str(info.value)
    monkeypatch.setattr(os, "write", real_write)
    assert len(table) == 1
    assert (tmp_path / JOURNAL_NAME).stat().st_size == size
    table.insert({"n": 3})
    db.close()
    db = _reopen(tmp_path)
    assert sorted(d["n"] for d in db.table("t").all()) == [1, 3]
    db.close()


def test_fsync_happens_in_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real_fsync(fd))[1])
    db = JournalDB(tmp_path, fsync_interval=0.05)
    table = db.table("t")
    calls.clear()
    for i in range(200):
        table.insert({"n": i})
    import time

    time.sleep(0.2)
    assert 1 <= len(calls) < 50  # grouped, not one per write
    assert not db.journal._dirty
    db.close()
