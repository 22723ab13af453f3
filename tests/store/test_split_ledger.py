"""The split ledger repository: first entries are never changed, a reshuffle replaces one grouping only."""

from __future__ import annotations

import pytest

from store import Database
from store.database import RECORD_CLASSES
from store.records import SplitAssignment


def test_first_split_wins_and_survives_reopening(tmp_path) -> None:
    with Database(tmp_path / "db") as db:
        assert db.split_ledger.record_first("passage", {1: "train", 2: "test"}, "one", 7) == 2
        assert db.split_ledger.record_first("passage", {1: "valid", 2: "test", 3: "valid"}, "two", 8) == 1
        assert db.split_ledger.record_first("book", {1: "test"}, "by-book", 7) == 1
    with Database(tmp_path / "db") as db:
        assert db.split_ledger.splits("passage") == {1: "train", 2: "test", 3: "valid"}
        assert db.split_ledger.splits("book") == {1: "test"}
        assert {(e.key, e.build, e.seed) for e in db.split_ledger if e.group_by == "passage"} == {
            (1, "one", 7), (2, "one", 7), (3, "two", 8)}


def test_replace_rewrites_one_grouping_in_one_change(tmp_path) -> None:
    with Database(tmp_path / "db") as db:
        db.split_ledger.record_first("passage", {1: "train", 2: "test"}, "one", 7)
        db.split_ledger.record_first("book", {4: "valid"}, "by-book", 7)
        assert db.split_ledger.replace("passage", {2: "train", 5: "valid"}, "fresh", 9) == 2
        assert db.split_ledger.splits("passage") == {2: "train", 5: "valid"}
        assert db.split_ledger.splits("book") == {4: "valid"}
        with pytest.raises(ValueError, match="train, valid or test"):
            db.split_ledger.replace("passage", {3: "holdout"}, "bad", 1)
        assert db.split_ledger.splits("passage") == {2: "train", 5: "valid"}  # the refused change left no trace
        with pytest.raises(ValueError, match="passage or book"):
            db.split_ledger.record_first("chapter", {3: "train"}, "bad", 1)


def test_a_damaged_entry_is_named_when_the_database_opens() -> None:
    assert SplitAssignment in RECORD_CLASSES
    assert SplitAssignment.doc_problem({"key": "seven", "split": "train"}) == "field 'key' is text, not a whole number"
