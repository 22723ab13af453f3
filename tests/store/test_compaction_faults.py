"""A full disk at every write, fsync, open and rename of a compaction loses nothing and leaks nothing."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from store import Database, Passage, StoreWriteError
from store.journal import JournalDB

CALLS = ("write", "fsync", "replace", "open")


class DiskFull:
    """Make the n-th call of one `os` function fail with ENOSPC (and, if `stay`, every later one)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.counts = {name: 0 for name in CALLS}
        self.fail_at: dict[str, int] = {}
        self.stay = False
        self.failed = 0
        for name in CALLS:
            monkeypatch.setattr(os, name, self._wrap(name, getattr(os, name)))

    def _wrap(self, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.counts[name] += 1
            at = self.fail_at.get(name)
            if at is not None and (self.counts[name] == at or (self.stay and self.counts[name] > at)):
                self.failed += 1
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(*args, **kwargs)
        return call

    def arm(self, name: str, nth: int, stay: bool = False) -> None:
        self.counts = {n: 0 for n in CALLS}
        self.fail_at = {name: nth}
        self.stay = stay
        self.failed = 0

    def disarm(self) -> None:
        self.fail_at = {}


def _calls_in_one_compaction(tmp_path: Path) -> dict[str, int]:
    with pytest.MonkeyPatch.context() as mp:
        disk = DiskFull(mp)
        db = JournalDB(tmp_path / "probe", fsync_interval=1000)
        db.table("t").insert({"n": 1})
        disk.arm("write", 10**9)
        db.journal.compact()
        counts = dict(disk.counts)
        db.close()
    return counts


def _faults(tmp_path: Path) -> Iterator[tuple[str, int]]:
    for name, count in _calls_in_one_compaction(tmp_path).items():
        for nth in range(1, count + 1):
            yield name, nth


def test_a_compaction_makes_each_kind_of_call(tmp_path: Path) -> None:
    counts = _calls_in_one_compaction(tmp_path)
    assert counts["write"] >= 2 and counts["fsync"] >= 3 and counts["replace"] == 2 and counts["open"] >= 3


def _state(db: Database) -> list[tuple[int, str]]:
    return sorted((p.id, p.text) for p in db.passages.all())


def _assert_clean(folder: Path) -> None:
    assert sorted(n for n in os.listdir(folder) if n.endswith(".tmp")) == []


def test_enospc_anywhere_in_an_automatic_compaction_never_fails_the_durable_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    faults = list(_faults(tmp_path))
    faults_per_call = _calls_in_one_compaction(tmp_path / "again")
    disk = DiskFull(monkeypatch)
    for case, (name, nth) in enumerate(faults):
        folder = tmp_path / f"db{case}"
        db = Database(folder, fsync_interval=1000, compact_min_bytes=1500)
        db.passages.add_many([Passage(book_id=1, text=f"p{i}") for i in range(5)])
        db.take_warnings()
        acknowledged = _state(db)
        disk.arm(name, nth + 1 if name == "write" else nth)  # the first write is the change's own line
        # Passes the threshold: the line is written, then compaction runs and hits the fault.
        added = db.passages.add(Passage(book_id=1, text="x" * 2000))
        acknowledged.append((added.id, added.text))
        assert disk.failed == 1, (name, nth)
        warnings = db.take_warnings()
        # Every fault but the last directory fsync (after both renames: not needed for
        # consistency) fails the compaction, which becomes a warning, never an error.
        last_dir_fsync = name in ("fsync", "open") and nth == faults_per_call[name]
        assert len(warnings) == (0 if last_dir_fsync else 1), (name, nth, warnings)
        assert all("No space left" in w and "safe" in w for w in warnings)
        _assert_clean(folder)
        disk.disarm()
        # No stale descriptor: a file opened now must never receive journal bytes.
        other = folder.parent / f"other{case}.jsonl"
        with open(other, "wb") as fh:
            later = db.passages.add(Passage(book_id=1, text="after the fault"))
            acknowledged.append((later.id, later.text))
        assert other.read_bytes() == b"", (name, nth)
        assert _state(db) == sorted(acknowledged)
        db.close()
        with Database(folder) as reopened:
            assert _state(reopened) == sorted(acknowledged), (name, nth)
        _assert_clean(folder)


def test_while_the_disk_stays_full_writes_are_refused_with_a_sentence_then_resume(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    disk = DiskFull(monkeypatch)
    folder = tmp_path / "db"
    db = Database(folder, fsync_interval=1000)
    db.passages.add(Passage(book_id=1, text="kept"))
    # The snapshot is renamed in, then the new journal's rename fails and the disk stays full.
    disk.arm("replace", 2, stay=True)
    with pytest.raises(StoreWriteError, match="Could not compact"):
        db.db.journal.compact()
    _assert_clean(folder)
    with pytest.raises(StoreWriteError) as info:
        db.passages.add(Passage(book_id=1, text="refused"))
    assert "cannot take changes" in str(info.value) and "free some disk space" in str(info.value)
    assert [p.text for p in db.passages.all()] == ["kept"]
    disk.disarm()
    db.passages.add(Passage(book_id=1, text="after"))
    db.close()
    with Database(folder) as reopened:
        assert [p.text for p in reopened.passages.all()] == ["kept", "after"]
    _assert_clean(folder)


@pytest.mark.parametrize("name", ["write", "fsync", "replace", "open"])
def test_an_explicit_compaction_reports_the_failure_and_the_old_journal_stays_authoritative(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    disk = DiskFull(monkeypatch)
    folder = tmp_path / "db"
    db = JournalDB(folder, fsync_interval=1000)
    db.table("t").insert({"n": 1})
    disk.arm(name, 1)
    with pytest.raises(StoreWriteError, match="No space left"):
        db.journal.compact()
    disk.disarm()
    db.table("t").insert({"n": 2})
    db.close()
    db = JournalDB(folder)
    assert sorted(d["n"] for d in db.table("t").all()) == [1, 2]
    db.close()
    _assert_clean(folder)
