"""The split ledger: the split every passage (or book) was first given by a written dataset build.

WHY: a build plans its splits over the whole pool, so without a record a later build with more
accepted examples could put a passage that trained one model into the test split another model
is compared on.  `core.dataset.build` adds entries only after a build is written, and only for
passages (books) not already here; `--reshuffle` replaces one grouping's entries wholesale.  A
preview only reads.
"""

from __future__ import annotations

from typing import Mapping

from store.records import SPLIT_GROUPINGS, SPLIT_NAMES, SplitAssignment, SplitGrouping, SplitName
from store.repository import Repository


def _grouping(value: str) -> SplitGrouping:
    if value not in SPLIT_GROUPINGS:
        raise ValueError(f"A split ledger groups by passage or book, not {value!r}.")
    return value


def _split(value: str) -> SplitName:
    if value not in SPLIT_NAMES:
        raise ValueError(f"A split is train, valid or test, not {value!r}.")
    return value


class SplitLedgerRepository(Repository[SplitAssignment]):
    record_class = SplitAssignment

    def splits(self, group_by: str) -> dict[int, str]:
        """Passage id (or book id) -> its recorded split, for one grouping (the earliest entry wins)."""
        found: dict[int, str] = {}
        for _, doc in sorted(self.scan(lambda d: d.get("group_by") == group_by), key=lambda pair: pair[0]):
            found.setdefault(int(doc["key"]), str(doc["split"]))
        return found

    def record_first(self, group_by: str, splits: Mapping[int, str], build: str, seed: int) -> int:
        """Add the entries of `splits` not recorded yet (a recorded split never changes); returns how many."""
        known = self.splits(group_by)
        new = self._entries(group_by, {k: v for k, v in splits.items() if int(k) not in known}, build, seed)
        with self.db.transaction():
            if new:
                self.add_many(new)
        return len(new)

    def replace(self, group_by: str, splits: Mapping[int, str], build: str, seed: int) -> int:
        """Forget one grouping's entries and record `splits` instead (a reshuffled build); returns how many."""
        entries = self._entries(group_by, splits, build, seed)
        with self.db.transaction():
            self.delete_many([key for key, _ in self.scan(lambda d: d.get("group_by") == group_by)])
            if entries:
                self.add_many(entries)
        return len(entries)

    @staticmethod
    def _entries(group_by: str, splits: Mapping[int, str], build: str, seed: int) -> list[SplitAssignment]:
        grouping = _grouping(group_by)
        return [SplitAssignment(group_by=grouping, key=int(key), split=_split(split), build=build, seed=int(seed))
                for key, split in sorted(splits.items())]
