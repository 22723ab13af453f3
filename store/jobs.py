"""The generation jobs aggregate."""

from __future__ import annotations

from collections import Counter
from typing import Optional

from store.records import Job
from store.repository import Repository


class JobRepository(Repository[Job]):
    record_class = Job

    def by_status(self, *statuses: str) -> list[Job]:
        wanted = set(statuses)
        return self.where(lambda d: d.get("status") in wanted)

    def by_key(self, idempotency_key: str) -> Optional[Job]:
        found = self.where_eq(idempotency_key=idempotency_key)
        return found[0] if found else None

    def status_counts(self) -> Counter[str]:
        return Counter(d.get("status", "pending") for d in list(self.table._read_table().values()))
