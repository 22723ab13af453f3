"""The review decisions aggregate: an append-only event log (never updated, never deleted)."""

from __future__ import annotations

from store.records import Decision
from store.repository import Repository


class DecisionRepository(Repository[Decision]):
    record_class = Decision

    def for_example(self, example_id: int) -> list[Decision]:
        return sorted(self.where_eq(example_id=example_id), key=lambda d: d.id)

    def in_order(self) -> list[Decision]:
        return sorted(self, key=lambda d: d.id)
