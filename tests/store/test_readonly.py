"""The read-only open: beside a live writer, at any cut of the journal, and refusing every change."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.database import SCHEMA_VERSION, Database, SchemaTooNewError
from store.errors import StoreError, StoreWriteError
from store.journal import JOURNAL_NAME, SNAPSHOT_NAME, JournalDB
from store.readonly import ReadOnlyJournalStorage
from store.records import Book

ROOT = Path(__file__).resolve().parents[2]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.name != "lock"}


def _pairs(folder: Path) -> tuple[list[int], list[int], int]:
    db = JournalDB(folder, read_only=True)
    try:
        left = sorted(doc["n"] for doc in db.table("left").all())
        right = sorted(doc["n"] for doc in db.table("right").all())
        return left, right, db.journal._generation
    finally:
        db.close()


def test_a_reader_beside_a_writer_never_sees_half_a_record_nor_raises(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    writer = subprocess.Popen([sys.executable, str(ROOT / "tests" / "store" / "readonly_writer.py"), str(folder)],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "1"
        seen = 0
        generations: set[int] = set()
        reads = 0
        while reads < 3000 and len(generations) < 4:
            left, right, generation = _pairs(folder)
            assert left == right, "a reader saw one half of a transaction"
            assert left == list(range(1, len(left) + 1))  # no gap: every acknowledged pair, in order
            assert len(left) >= seen  # never goes back in time
            seen = len(left)
            generations.add(generation)
            reads += 1
        assert len(generations) >= 2, "the writer never compacted while being read"
        writer.send_signal(signal.SIGKILL)  # killed at any byte, possibly mid-line
        writer.wait(timeout=30)
        before = _files(folder)
        left, right, _ = _pairs(folder)
        assert left == right and len(left) >= seen
        assert _files(folder) == before  # nothing cut, nothing restored, nothing removed
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait(timeout=30)
    reopened = JournalDB(folder)  # the writer's open still works (and may now cut a torn tail)
    try:
        assert len(reopened.table("left")) >= seen
    finally:
        reopened.close()


def _written(count: int, compact_at: int) -> tuple[Path, list[int]]:
    """A journal folder of `count` paired transactions; returns it and each line's end offset."""
    folder = Path(tempfile.mkdtemp()) / "db"
    db = JournalDB(folder, fsync_interval=60)
    ends: list[int] = []
    for n in range(1, count + 1):
        if n == compact_at:
            db.journal.compact()
            ends.clear()
        with db.transaction():
            db.table("left").insert({"n": n})
            db.table("right").insert({"n": n, "t": "x" * n})
        ends.append(db.journal._journal_bytes)
    db.close()
    return folder, ends


@settings(max_examples=150, deadline=None, database=None)
@given(count=st.integers(1, 12), compact_at=st.integers(0, 12), cut=st.integers(0, 10_000))
def test_any_cut_of_the_journal_reads_as_a_whole_prefix_and_changes_no_file(count: int, compact_at: int,
                                                                              cut: int) -> None:
    folder, ends = _written(count, compact_at)
    try:
        journal = folder / JOURNAL_NAME
        raw = journal.read_bytes()
        header_end = raw.index(b"\n") + 1
        size = header_end + cut % (len(raw) - header_end + 1)  # a writer caught at any byte of a line
        journal.write_bytes(raw[:size])
        before = _files(folder)
        folded = compact_at - 1 if 0 < compact_at <= count else 0
        # A line cut just before its newline is whole and passes its checksum: the store keeps it (the writer's
        # own open does too), so it counts as written.
        whole = folded + sum(1 for end in ends if end - 1 <= size)
        left, right, _ = _pairs(folder)
        assert left == right == list(range(1, whole + 1))
        assert _files(folder) == before
    finally:
        shutil.rmtree(folder.parent)


def test_a_missing_folder_reads_empty_and_is_not_created(tmp_path: Path) -> None:
    db = Database(tmp_path / "none", read_only=True)
    assert list(db.books) == [] and db.schema_version == 0
    db.close()
    assert not (tmp_path / "none").exists()


def test_read_only_beside_a_writer_sees_its_state_and_refuses_changes(tmp_path: Path) -> None:
    with Database(tmp_path / "db") as writer:
        writer.books.add(Book(title="Swann", author="Proust"))
        before = _files(tmp_path / "db")
        with Database(tmp_path / "db", read_only=True) as reader:
            assert [b.title for b in reader.books] == ["Swann"]
            assert reader.schema_version == SCHEMA_VERSION
            with pytest.raises(StoreWriteError, match="opened read-only, so this change was not made"):
                reader.books.add(Book(title="Guermantes"))
            with pytest.raises(StoreWriteError, match="opened read-only"):
                with reader.transaction():
                    reader.books.add(Book(title="Guermantes"))
            with pytest.raises(StoreWriteError, match="opened read-only"):
                reader.db.journal.compact()
        assert _files(tmp_path / "db") == before
        assert [b.title for b in writer.books] == ["Swann"]


def test_read_only_never_migrates(tmp_path: Path) -> None:
    raw = JournalDB(tmp_path / "old")  # records written before the schema version existed
    raw.table("books").insert(Book(title="Old").to_doc())
    raw.close()
    before = _files(tmp_path / "old")
    with pytest.raises(StoreError, match="needs an upgrade that a read-only command cannot make"):
        Database(tmp_path / "old", read_only=True)
    assert _files(tmp_path / "old") == before
    newer = JournalDB(tmp_path / "new")
    newer.table("meta").insert({"schema_version": SCHEMA_VERSION + 1})
    newer.close()
    with pytest.raises(SchemaTooNewError):
        Database(tmp_path / "new", read_only=True)


def test_a_snapshot_renamed_in_before_its_journal_is_read_alone(tmp_path: Path) -> None:
    """The state between a compaction's two renames: the old journal is the folded one."""
    folder, _ = _written(3, 0)
    journal = folder / JOURNAL_NAME
    old_journal = journal.read_bytes()
    db = JournalDB(folder)
    db.journal.compact()
    db.close()
    journal.write_bytes(old_journal)  # as if the new journal's rename had not happened yet
    storage: Any = ReadOnlyJournalStorage(folder)
    assert sorted(storage.read()["left"]) == ["1", "2", "3"]
    assert (folder / SNAPSHOT_NAME).exists() and journal.read_bytes() == old_journal
    shutil.rmtree(folder.parent)
