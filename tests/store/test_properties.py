"""Hypothesis properties of the journal: random kills and random corruptions.

(a) Any sequence of changes, killed at any byte of the journal: reopening gives exactly the
    acknowledged state (or that state without the one change whose line was cut).
(b) Any single byte of the journal or snapshot changed: reopening gives exactly the stored
    state, or StoreCorruptError with every file byte-identical.
(c) Any bytes at all given to the parsers: a result or StoreCorruptError, nothing else.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store.journal import JOURNAL_NAME, SNAPSHOT_NAME, JournalDB, StoreCorruptError
from store.journal_format import parse_journal, parse_snapshot

State = dict[str, dict[int, dict[str, Any]]]
TABLES = ("examples", "decisions")

values = st.one_of(st.integers(-5, 5), st.text(max_size=12), st.lists(st.integers(0, 3), max_size=3))
single = st.one_of(
    st.tuples(st.just("insert"), st.sampled_from(TABLES), values),
    st.tuples(st.just("update"), st.sampled_from(TABLES), st.integers(0, 20), values),
    st.tuples(st.just("delete"), st.sampled_from(TABLES), st.integers(0, 20)),
)
operation = st.one_of(single, st.tuples(st.just("transaction"), st.lists(single, min_size=1, max_size=4)),
                      st.just(("compact",)))


def _state(db: JournalDB) -> State:
    return {name: {doc.doc_id: dict(doc) for doc in db.table(name).all()} for name in TABLES}


def _run(db: JournalDB, op: tuple[Any, ...]) -> None:
    kind = op[0]
    if kind == "compact":
        db.journal.compact()
    elif kind == "transaction":
        with db.transaction():
            for inner in op[1]:
                _run(db, inner)
    else:
        table = db.table(op[1])
        ids = sorted(doc.doc_id for doc in table.all())
        if kind == "insert":
            table.insert({"v": op[2]})
        elif ids and kind == "update":
            table.update({"v": op[3]}, doc_ids=[ids[op[2] % len(ids)]])
        elif ids and kind == "delete":
            table.remove(doc_ids=[ids[op[2] % len(ids)]])


@pytest.fixture
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=14), where=st.floats(0.0, 1.0))
def test_a_kill_at_any_byte_leaves_the_acknowledged_state(folder: Path, ops: list[tuple[Any, ...]],
                                                          where: float) -> None:
    path = folder / f"db{len(os.listdir(folder))}"
    db = JournalDB(path, fsync_interval=1000, compact_min_bytes=700)
    journal = path / JOURNAL_NAME
    # (journal size after the change, state after it) since the last compaction
    history = [(journal.stat().st_size, _state(db))]
    for op in ops:
        _run(db, op)
        size = journal.stat().st_size
        if size < history[-1][0] or op[0] == "compact":
            history = [(size, _state(db))]  # folded into the snapshot; a fresh journal
        elif size > history[-1][0]:
            history.append((size, _state(db)))
    db.close()
    data = journal.read_bytes()
    header = data.index(b"\n") + 1  # the header is renamed in whole: a kill cannot cut it
    cut = header + int(where * (len(data) - header))
    expected = next(state for size, state in reversed(history) if size <= cut)
    for size, state in history:
        if size - 1 == cut:  # only the last line's newline is missing: the line is whole and proven
            expected = state
    copy = folder / f"cut{len(os.listdir(folder))}"
    shutil.copytree(path, copy)
    (copy / JOURNAL_NAME).write_bytes(data[:cut])
    reopened = JournalDB(copy)
    try:
        assert _state(reopened) == expected
        reopened.table("examples").insert({"v": "after"})
    finally:
        reopened.close()
    again = JournalDB(copy)
    try:
        assert len(again.table("examples")) == len(expected["examples"]) + 1
    finally:
        again.close()


def _build_reference(path: Path) -> State:
    db = JournalDB(path, fsync_interval=1000)
    for i in range(6):
        db.table("examples").insert({"v": f"value {i}", "tags": [i, "é"]})
    db.journal.compact()
    with db.transaction():
        db.table("decisions").insert({"v": "accept"})
        db.table("examples").update({"v": "accepted"}, doc_ids=[2])
    db.table("examples").remove(doc_ids=[3])
    db.table("decisions").insert({"v": 1.5})
    state = _state(db)
    db.close()
    return state


@pytest.fixture(scope="module")
def reference() -> Iterator[tuple[Path, State]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reference"
        state = _build_reference(path)
        yield path, state


@settings(max_examples=300, deadline=None, database=None)
@given(name=st.sampled_from([JOURNAL_NAME, SNAPSHOT_NAME]), position=st.floats(0.0, 1.0),
       delta=st.integers(1, 255))
def test_any_single_byte_changed_is_the_exact_state_or_refused_untouched(
        reference: tuple[Path, State], name: str, position: float, delta: int) -> None:
    source, state = reference
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "db"
        shutil.copytree(source, path)
        target = path / name
        data = bytearray(target.read_bytes())
        offset = min(len(data) - 1, int(position * len(data)))
        data[offset] = (data[offset] + delta) % 256
        target.write_bytes(bytes(data))
        before = {n: (path / n).read_bytes() for n in (JOURNAL_NAME, SNAPSHOT_NAME)}
        listing = sorted(os.listdir(path))
        try:
            db = JournalDB(path)
        except StoreCorruptError as error:
            assert str(path) in str(error)
            assert {n: (path / n).read_bytes() for n in (JOURNAL_NAME, SNAPSHOT_NAME)} == before
            assert sorted(os.listdir(path)) == listing
            return
        try:
            assert _state(db) == state, (name, offset)
        finally:
            db.close()


@settings(max_examples=300, deadline=None, database=None)
@given(raw=st.one_of(st.binary(max_size=300),
                     st.lists(st.sampled_from([b'{"format":2,"generation":0}', b'{"t":"x","put":{"1":{}}}',
                                               b"\t", b"\n", b"0", b"[", b"}", b'"', b"\t00000000\n"]),
                              max_size=12).map(b"".join)))
def test_the_parsers_answer_any_bytes_with_a_result_or_store_corrupt_error(raw: bytes) -> None:
    for parse in (parse_journal, parse_snapshot):
        try:
            parse(Path("db") / "file", raw)
        except StoreCorruptError as error:
            assert "db/file" in str(error)
