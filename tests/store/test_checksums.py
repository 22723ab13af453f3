"""Checksummed lines and snapshot: every damage the attack found is refused, files untouched."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import pytest

from store.journal import JOURNAL_NAME, SNAPSHOT_NAME, JournalDB, StoreCorruptError
from store.journal_format import FORMAT, parse_snapshot


def _files(path: Path) -> dict[str, bytes]:
    return {name: (path / name).read_bytes() for name in sorted(os.listdir(path)) if name != "lock"}


def _make(path: Path, compacted: bool = True) -> None:
    db = JournalDB(path)
    table = db.table("passages")
    for i in range(4):
        table.insert({"n": i, "text": "passage text"})
    if compacted:
        db.journal.compact()
    for i in range(4, 8):
        table.insert({"n": i, "text": "passage text"})
    db.close()


def _refused(path: Path, match: Optional[str] = None) -> StoreCorruptError:
    before = _files(path)
    with pytest.raises(StoreCorruptError, match=match) as info:
        JournalDB(path)
    assert _files(path) == before
    return info.value


def _numbers(path: Path) -> list[int]:
    db = JournalDB(path)
    try:
        return sorted(d["n"] for d in db.table("passages").all())
    finally:
        db.close()


def test_every_line_and_the_snapshot_carry_a_checksum(tmp_path: Path) -> None:
    _make(tmp_path)
    for line in (tmp_path / JOURNAL_NAME).read_bytes().splitlines():
        assert line[-9:-8] == b"\t" and all(c in b"0123456789abcdef" for c in line[-8:])
    snapshot = parse_snapshot(tmp_path / SNAPSHOT_NAME, (tmp_path / SNAPSHOT_NAME).read_bytes())
    assert not snapshot.legacy and snapshot.generation == 1


@pytest.mark.parametrize("old, new", [(b'"generation":1', b'"generation":0'), (b'"generation":1', b'"generation":3')])
def test_a_changed_journal_generation_is_refused(tmp_path: Path, old: bytes, new: bytes) -> None:
    _make(tmp_path)
    journal = tmp_path / JOURNAL_NAME
    journal.write_bytes(journal.read_bytes().replace(old, new, 1))
    error = _refused(tmp_path)
    assert str(journal) in str(error) and "line 1" in str(error)


def test_a_changed_snapshot_generation_is_refused(tmp_path: Path) -> None:
    _make(tmp_path)
    snapshot = tmp_path / SNAPSHOT_NAME
    snapshot.write_bytes(snapshot.read_bytes().replace(b'"generation":1', b'"generation":3', 1))
    assert str(snapshot) in str(_refused(tmp_path, "checksum"))


def test_a_bit_flip_inside_a_value_is_refused(tmp_path: Path) -> None:
    _make(tmp_path)
    journal = tmp_path / JOURNAL_NAME
    data = bytearray(journal.read_bytes())
    data[data.index(b"passage text")] ^= 0x01
    journal.write_bytes(bytes(data))
    assert "line 2" in str(_refused(tmp_path, "checksum"))


def test_the_last_lines_newline_changed_is_damage_not_a_torn_write(tmp_path: Path) -> None:
    _make(tmp_path)
    journal = tmp_path / JOURNAL_NAME
    journal.write_bytes(journal.read_bytes()[:-1] + b"\x0b")
    assert "line 5" in str(_refused(tmp_path))


def test_a_last_line_missing_only_its_newline_is_kept(tmp_path: Path) -> None:
    _make(tmp_path)
    journal = tmp_path / JOURNAL_NAME
    journal.write_bytes(journal.read_bytes()[:-1])
    assert _numbers(tmp_path) == list(range(8))
    assert journal.read_bytes().endswith(b"\n")


def test_a_journal_missing_beside_its_snapshot_is_refused(tmp_path: Path) -> None:
    _make(tmp_path)
    (tmp_path / JOURNAL_NAME).unlink()
    assert "missing" in str(_refused(tmp_path))
    assert not (tmp_path / JOURNAL_NAME).exists()


@pytest.mark.parametrize("header", [b'{"generation":-1}', b'{"generation":0.9}', b'{"generation":true}', b"[]"])
def test_a_bad_header_is_refused(tmp_path: Path, header: bytes) -> None:
    _make(tmp_path, compacted=False)
    journal = tmp_path / JOURNAL_NAME
    data = journal.read_bytes()
    journal.write_bytes(header + data[data.index(b"\n"):])
    _refused(tmp_path, "line 1")


def test_a_legacy_database_is_read_and_rewritten_with_checksums_once(tmp_path: Path) -> None:
    # The previous format: plain JSON lines and a plain JSON snapshot.
    tables = {"passages": {str(i): {"n": i} for i in range(1, 4)}}
    (tmp_path / SNAPSHOT_NAME).write_text(json.dumps({"generation": 2, "max_ids": {"passages": 5},
                                                      "tables": tables}))
    (tmp_path / JOURNAL_NAME).write_bytes(b'{"generation":2}\n{"t":"passages","put":{"6":{"n":6}}}\n'
                                          b'{"t":"passages","del":["1"]}\n{"t":"passa')
    db = JournalDB(tmp_path)
    assert sorted(d["n"] for d in db.table("passages").all()) == [2, 3, 6]
    assert db.table("passages").insert({"n": 7}) == 7
    db.close()
    snapshot = parse_snapshot(tmp_path / SNAPSHOT_NAME, (tmp_path / SNAPSHOT_NAME).read_bytes())
    assert not snapshot.legacy and snapshot.generation == 3
    assert json.loads((tmp_path / JOURNAL_NAME).read_bytes().split(b"\t")[0]) == {"format": FORMAT,
                                                                                  "generation": 3}
    assert _numbers(tmp_path) == [2, 3, 6, 7]


def test_a_legacy_journal_with_a_damaged_line_is_refused_unchanged(tmp_path: Path) -> None:
    (tmp_path / JOURNAL_NAME).write_bytes(b'{"generation":0}\n{"t":"passages","put":{"1":{"n":1}}}\n'
                                          b'{"t": garbage\n{"t":"passages","put":{"2":{"n":2}}}\n')
    assert "line 3" in str(_refused(tmp_path))


def test_an_older_journal_is_ignored_only_when_the_snapshot_folded_exactly_it(tmp_path: Path) -> None:
    db = JournalDB(tmp_path)
    db.table("passages").insert({"n": 1})
    folded = (tmp_path / JOURNAL_NAME).read_bytes()
    db.journal.compact()
    db.close()
    (tmp_path / JOURNAL_NAME).write_bytes(folded + b"")  # the crash between the two renames
    assert _numbers(tmp_path) == [1]
    # The same old generation with one more (valid) line is not what was folded: refused.
    db = JournalDB(tmp_path)
    db.close()
    longer = folded + folded.split(b"\n")[1] + b"\n"
    (tmp_path / JOURNAL_NAME).write_bytes(longer)
    _refused(tmp_path, "generation 0")
