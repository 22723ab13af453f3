"""The training runs aggregate."""

from __future__ import annotations

from typing import Optional

from store.records import Run
from store.repository import Repository


class RunRepository(Repository[Run]):
    record_class = Run

    def by_name(self, name: str) -> Optional[Run]:
        found = self.where_eq(name=name)
        return found[0] if found else None

    def latest(self) -> Optional[Run]:
        runs = self.all()
        return max(runs, key=lambda r: r.id) if runs else None
