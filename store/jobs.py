"""The generation jobs aggregate.

The queue touches jobs hundreds of times a second, so besides CRUD this repository has the queue's hot
paths: a status read without building a record, field writes without a read-back, and bulk changes that
write one journal line for many jobs (a crash never leaves half of a bulk change).  A job's `cost_usd` is
what it may have cost so far: the real cost of its answers plus, while a request is in flight or when a
request's outcome is unknown (timed out client-side), that request's worst case.  The sum over a
teacher's jobs is therefore an upper bound of the money spent on it, which the budget cap relies on.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any, Callable, Iterable, MutableMapping, Optional

from store.records import Example, Job, now
from store.repository import Repository

SUBMITTING = "submitting"  # batch_id while a batch is being created (its id is not known yet)


class JobRepository(Repository[Job]):
    record_class = Job

    def by_status(self, *statuses: str) -> list[Job]:
        wanted = set(statuses)
        return self.where(lambda d: d.get("status") in wanted)

    def by_key(self, idempotency_key: str) -> Optional[Job]:
        found = self.where_eq(idempotency_key=idempotency_key)
        return found[0] if found else None

    def status_counts(self, teacher: Optional[str] = None) -> Counter[str]:
        """Jobs by status; only one teacher's jobs when `teacher` is given."""
        docs = list(self.table._read_table().values())
        return Counter(d.get("status", "pending") for d in docs if teacher is None or d.get("teacher") == teacher)

    def of_teacher(self, teacher: str, status: str) -> list[Job]:
        """A teacher's jobs in one status, by id."""
        jobs = self.where(lambda d: d.get("status") == status and d.get("teacher") == teacher)
        return sorted(jobs, key=lambda job: job.id)

    def in_batches(self, teacher: str) -> list[Job]:
        """A teacher's running jobs that a submitted batch holds (their results are still to collect)."""
        return self.where(lambda d: d.get("status") == "running" and d.get("teacher") == teacher
                          and d.get("batch_id") not in ("", SUBMITTING, None))

    def keys(self) -> dict[str, tuple[int, str]]:
        """Every idempotency key -> (job id, status): what enqueueing checks before creating a job."""
        return {str(doc.get("idempotency_key", "")): (int(key), str(doc.get("status", "")))
                for key, doc in list(self.table._read_table().items())}

    def status_of(self, job_id: int) -> Optional[str]:
        """The job's status, or None when it does not exist (no record is built)."""
        doc = self.table._read_table().get(str(job_id))
        return None if doc is None else str(doc.get("status", "pending"))

    def attempts_and_cost(self, job_id: int) -> tuple[int, float]:
        """Attempts so far and the cost recorded so far (0, 0.0 for a job that does not exist)."""
        doc = self.table._read_table().get(str(job_id)) or {}
        return int(doc.get("attempts", 0) or 0), float(doc.get("cost_usd", 0.0) or 0.0)

    def spent(self, teacher: str) -> float:
        """The project's recorded spend on a teacher: the sum of its jobs' `cost_usd` (see the module doc)."""
        return sum(float(d.get("cost_usd", 0.0) or 0.0) for d in list(self.table._read_table().values())
                   if d.get("teacher") == teacher)

    def write(self, job_id: int, **fields: Any) -> None:
        """Change some fields of one job in one journal line, without reading the record back."""
        fields["updated"] = now()
        self.table.update(fields, doc_ids=[job_id])

    def set_many(self, job_ids: Iterable[int], **fields: Any) -> int:
        """The same fields on many jobs, in one journal line; returns how many jobs exist and changed."""
        ids = list(job_ids)
        if not ids:
            return 0
        fields["updated"] = now()
        return len(self.table.update(fields, doc_ids=ids))

    def change_many(self, job_ids: Iterable[int], change: Callable[[MutableMapping[str, Any]], None]) -> int:
        """Apply `change` to each job's fields (it may read them), all in one journal line."""
        ids = list(job_ids)
        if not ids:
            return 0
        stamp = now()

        def apply(doc: MutableMapping[str, Any]) -> None:
            change(doc)
            doc["updated"] = stamp

        return len(self.table.update(apply, doc_ids=ids))

    def retry_failed(self, teacher: str, kind: Optional[str] = None) -> int:
        """Put a teacher's failed jobs (of one kind when given) back to pending in one journal line; how many."""
        docs = self.table._read_table()
        failed = [job_id for job_id, status in self._statuses(teacher).items() if status == "failed"
                  and (kind is None or (docs.get(str(job_id)) or {}).get("kind", "generate") == kind)]
        return self.set_many(failed, status="pending", last_error="")

    def still_live(self, job_ids: Iterable[int]) -> list[int]:
        """The ids among `job_ids` whose job is pending or running."""
        docs = self.table._read_table()
        return [i for i in job_ids if (docs.get(str(i)) or {}).get("status") in ("pending", "running")]

    def _statuses(self, teacher: str) -> dict[int, str]:
        return {int(key): str(doc.get("status", "pending")) for key, doc in list(self.table._read_table().items())
                if doc.get("teacher") == teacher}

    def running(self) -> list[Job]:
        return self.where(lambda d: d.get("status") == "running")

    # -- the examples jobs produce ------------------------------------------------------------------
    def insert_example(self, **fields: Any) -> int:
        """Store a finished job's example, built as a document directly; returns its id.

        `dataclasses.asdict` deep-copies, which was most of the queue's own CPU per job at hundreds of
        jobs per second; the caller passes fresh values, so nothing is shared.
        """
        doc: dict[str, Any] = {name: (factory() if factory is not None else default)
                               for name, (default, factory) in _EXAMPLE_DEFAULTS.items()}
        doc.update(fields)
        doc["created"] = doc["updated"] = now()
        return int(self.db.table(Example.table).insert(doc))

    def finish_with_example(self, job_id: int, example: dict[str, Any], **job_fields: Any) -> int:
        """Store a job's example and mark the job (`job_fields`, with the new `example_id`) in one journal
        line: a kill leaves either both or neither.  Returns the example's id."""
        with self.db.transaction():
            example_id = self.insert_example(**example)
            self.write(job_id, example_id=example_id, **job_fields)
        return example_id

    def finish_backfill(self, job_id: int, example_id: int, student: list[dict[str, str]], shape: str,
                        request_hash: str, **job_fields: Any) -> None:
        """Give an example its backfilled student conversation and mark the backfill job, in one journal line.

        An example that got a student conversation meanwhile (another teacher's backfill) keeps it; the
        job is still marked done, since its answer was received and paid for.
        """
        examples = self.db.table(Example.table)
        with self.db.transaction():
            doc = examples._read_table().get(str(example_id))  # type: ignore[attr-defined]
            if doc is not None and not doc.get("student"):
                examples.update({"student": [dict(turn) for turn in student], "student_shape": shape,
                                 "request_hash": doc.get("request_hash") or request_hash, "updated": now()},
                                doc_ids=[example_id])
            self.write(job_id, **job_fields)

    def examples_without_student(self) -> list[Example]:
        """Examples with no student conversation yet (made before they existed): what a backfill completes."""
        docs = self.db.table(Example.table)._read_table()  # type: ignore[attr-defined]
        return sorted((Example.from_doc(doc, int(key)) for key, doc in list(docs.items()) if not doc.get("student")),
                      key=lambda example: example.id)

    def count_without_student(self) -> int:
        """How many examples have no student conversation (no record is built: the Queue screen shows it)."""
        docs = self.db.table(Example.table)._read_table()  # type: ignore[attr-defined]
        return sum(1 for doc in list(docs.values()) if not doc.get("student"))

    def examples_by_job(self) -> dict[int, int]:
        """job id -> example id, for every example (recovery links a killed job to its stored answer)."""
        docs = self.db.table(Example.table)._read_table()  # type: ignore[attr-defined]
        return {int(doc.get("job_id", 0) or 0): int(key) for key, doc in list(docs.items())}


def _defaults() -> dict[str, tuple[Any, Optional[Callable[[], Any]]]]:
    out: dict[str, tuple[Any, Optional[Callable[[], Any]]]] = {}
    for item in dataclasses.fields(Example):
        if item.name == "id":
            continue
        factory = item.default_factory if item.default_factory is not dataclasses.MISSING else None
        out[item.name] = (None if factory is not None else item.default, factory)
    return out


_EXAMPLE_DEFAULTS = _defaults()

