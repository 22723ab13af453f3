"""Batch mode of the generation queue: Message Batches at the batch discount, polled until they end.

Durability, in order: jobs are written `running` with `batch_id = "submitting"` (attempts + 1) before the
batch is created, then given the real batch id as soon as the API returns it.  A restarted run finds
`running` jobs with a real batch id and polls that batch again instead of submitting the jobs twice.
(Only a crash in the few milliseconds between the API creating the batch and the id being written loses
track of a batch; those jobs go back to pending.)

Results arrive in any order and are matched to jobs by `custom_id` (the job's idempotency key).  Errored
entries fail their job, except transient errors and expired entries, which go back to pending and are
submitted again (up to `max_retries`); cancelled entries cancel their job.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from core.queue_events import BatchPolled, BatchSubmitted, CostUpdated
from core.queue_jobs import SUBMITTING
from core.teacher.base import TeacherFatal, TeacherRetryable, describe_error
from store.records import Job, now

if TYPE_CHECKING:
    from core.queue import GenerationQueue


def _batch_client(queue: "GenerationQueue") -> Any:
    from core.teacher.anthropic_teacher import AnthropicTeacher
    from core.teacher.batches import BatchClient

    if not isinstance(queue.teacher, AnthropicTeacher):
        raise TeacherFatal("Batch mode needs the Anthropic teacher; a local model runs live (drop --batch).")
    return BatchClient(queue.teacher)


class BatchRun:
    """The state of one batch-mode run; see `run_batches`."""

    def __init__(self, queue: "GenerationQueue") -> None:
        self.queue = queue
        self.client = _batch_client(queue)
        self.batches: dict[str, dict[str, int]] = {}  # batch id -> custom_id -> job id
        self.reserved: dict[int, float] = {}  # job id -> reserved worst case

    def resume_in_flight(self) -> int:
        name = self.queue.teacher.name
        jobs = self.queue.db.jobs.where(lambda d: d.get("status") == "running" and d.get("teacher") == name
                                        and d.get("batch_id") not in ("", SUBMITTING, None))
        for job in jobs:
            self.batches.setdefault(job.batch_id, {})[job.idempotency_key] = job.id
        return len(jobs)

    def _reserve_now(self, amount: float) -> bool:
        stats = self.queue.stats
        if stats.spent_usd + stats.reserved_usd + amount > self.queue.config.budget_usd + 1e-12:
            return False
        stats.reserved_usd += amount
        return True

    def _release(self, job_id: int) -> None:
        amount = self.reserved.pop(job_id, 0.0)
        self.queue.stats.reserved_usd = max(0.0, self.queue.stats.reserved_usd - amount)

    async def submit(self, jobs: list[Job]) -> None:
        from core.teacher.batches import MAX_BATCH_REQUESTS

        queue = self.queue
        chosen: list[tuple[Job, Any]] = []
        for job in jobs:
            if queue._stopping:
                break
            try:
                prompt, _ = queue.prompt_for(job)
            except Exception as exc:  # JobSetupError: the passage or template version is gone
                queue._fail(job, str(exc))
                continue
            amount = queue.worst_case(prompt)
            if amount and not self._reserve_now(amount):
                queue._stop("budget", f"the budget of ${queue.config.budget_usd:.2f} would be crossed by the next "
                                      f"job; raise it with --budget or queue.budget_usd.")
                break
            self.reserved[job.id] = amount
            chosen.append((job, queue.request_for(job, prompt)))
        for start in range(0, len(chosen), MAX_BATCH_REQUESTS):
            await self._submit_one(chosen[start:start + MAX_BATCH_REQUESTS])

    async def _submit_one(self, chunk: list[tuple[Job, Any]]) -> None:
        queue = self.queue
        ids = [job.id for job, _ in chunk]

        def mark_submitting(doc: dict[str, Any]) -> None:
            doc.update(status="running", batch_id=SUBMITTING, attempts=int(doc.get("attempts", 0)) + 1,
                       started_at=now(), updated=now())

        tries = 0
        while True:
            queue.db.jobs.table.update(mark_submitting, doc_ids=ids)  # durable before the call
            try:
                batch_id = await self.client.submit([request for _, request in chunk])
                break
            except TeacherRetryable as exc:
                queue.db.jobs.table.update({"status": "pending", "batch_id": ""}, doc_ids=ids)
                tries += 1
                if tries > queue.config.max_retries or queue._stopping:
                    for job, _ in chunk:
                        self._release(job.id)
                        queue._fail(job, f"could not submit the batch: {describe_error(exc)}")
                    return
                await asyncio.sleep(queue.backoff(tries, exc.retry_after))
            except TeacherFatal as exc:
                queue.db.jobs.table.update({"status": "pending", "batch_id": ""}, doc_ids=ids)
                for job, _ in chunk:
                    self._release(job.id)
                queue._stop("fatal", describe_error(exc))
                return
        queue.db.jobs.table.update({"batch_id": batch_id, "updated": now()}, doc_ids=ids)
        queue.stats.move("pending", "running", len(ids))
        self.batches[batch_id] = {job.idempotency_key: job.id for job, _ in chunk}
        queue._emit(BatchSubmitted(batch_id, len(ids)))

    async def poll_once(self) -> None:
        queue = self.queue
        for batch_id in list(self.batches):
            status = await self.client.status(batch_id)
            queue._emit(BatchPolled(batch_id, status.processing_status, status.counts))
            if status.ended:
                await self.collect(batch_id)

    async def collect(self, batch_id: str) -> None:
        queue = self.queue
        jobs_by_key = self.batches.pop(batch_id)
        seen: set[str] = set()
        to_pending: list[int] = []
        for outcome in await self.client.results(batch_id):
            job_id = jobs_by_key.get(outcome.custom_id)
            if job_id is None or outcome.custom_id in seen:
                continue  # not ours, or a repeated line
            seen.add(outcome.custom_id)
            job = queue.db.jobs.find(job_id)
            self._release(job_id)
            if job is None or job.status != "running":
                continue
            if outcome.kind == "succeeded" and outcome.result is not None:
                try:
                    prompt, passage = queue.prompt_for(job)
                except Exception as exc:
                    queue._fail(job, str(exc), was="running")
                    continue
                queue._finish(job, prompt, passage, outcome.result)
            elif outcome.kind == "canceled":
                queue.db.jobs.update(job.id, status="cancelled", last_error=outcome.error, batch_id="")
                queue.stats.move("running", "cancelled")
            elif outcome.retryable and job.attempts <= queue.config.max_retries and not queue._cancelled:
                to_pending.append(job.id)
                queue.stats.retries += 1
                queue.stats.note_error(job.id, f"will be submitted again: {outcome.error}")
            else:
                queue._fail(job, outcome.error, was="running")
        missing = [job_id for key, job_id in jobs_by_key.items() if key not in seen]
        for job_id in missing:  # the results file lacked them: submit again rather than lose them
            self._release(job_id)
        to_pending.extend(missing)
        if to_pending:
            queue.db.jobs.table.update({"status": "pending", "batch_id": "", "updated": now()}, doc_ids=to_pending)
            queue.stats.move("running", "pending", len(to_pending))
        queue._emit(CostUpdated(queue.stats.spent_usd, queue.stats.reserved_usd, queue.config.budget_usd))

    async def cancel_all(self) -> None:
        for batch_id in list(self.batches):
            await self.client.cancel(batch_id)


async def _sleep_or_stop(queue: "GenerationQueue", seconds: float) -> None:
    deadline = time.monotonic() + seconds
    leave_early = queue._stopping  # already stopping (budget, cancel): poll at the normal pace, not faster
    while time.monotonic() < deadline and (leave_early or not queue._stopping):
        await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))


async def run_batches(queue: "GenerationQueue") -> None:
    """Submit the pending jobs as batches, poll until every batch ends, store the results."""
    run = BatchRun(queue)
    resumed = run.resume_in_flight()
    pending = queue.pending_jobs()
    queue.stats.total_jobs = len(pending) + resumed
    cancel_sent = False
    try:
        while True:
            if not queue._resume.is_set():
                await queue._resume.wait()
            if queue._cancelled and not cancel_sent:
                cancel_sent = True
                await run.cancel_all()
                ids = [j.id for j in queue.pending_jobs()]
                if ids:
                    queue.db.jobs.table.update({"status": "cancelled", "updated": now()}, doc_ids=ids)
            if pending and not queue._stopping:
                await run.submit(pending)
            if not run.batches:
                break
            if queue._stopping and queue.stats.stop_reason in ("stopped", "fatal"):
                break  # batches stay in flight; the next run polls them (a budget stop still collects them)
            await run.poll_once()
            if run.batches:
                await _sleep_or_stop(queue, queue.config.batch_poll_s)
            pending = [] if queue._stopping else queue.pending_jobs()
    except TeacherFatal as exc:
        queue._stop("fatal", describe_error(exc))
    except TeacherRetryable as exc:
        queue._stop("error", f"polling the batch failed ({describe_error(exc)}); run again to resume polling.")
