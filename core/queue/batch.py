"""Batch mode: Message Batches at the batch discount, polled until they end.

Durability, in order: jobs are written `running` with `batch_id = "submitting"` (attempts + 1, and their
reservation added to `cost_usd`) in one journal line before the batch is created, then given the real
batch id as soon as the API returns it.  A restarted run finds `running` jobs with a real batch id and
polls that batch again instead of submitting the jobs twice.  (Only a crash in the few milliseconds between
the API creating the batch and the id being written loses track of a batch; those jobs go back to pending,
still charged their worst case.)

Results arrive in any order and are matched to jobs by `custom_id` (the job's idempotency key).  Errored
entries fail their job, except transient errors and expired entries, which go back to pending and are
submitted again (up to `max_retries`); cancelled entries cancel their job.  Errored, expired and cancelled
entries are not billed, so their reservation is returned.
"""

from __future__ import annotations

import asyncio
from typing import Any, MutableMapping

from core.queue.context import JobSetupError, RunContext
from core.queue.events import BatchPolled, BatchSubmitted, CostUpdated
from core.teacher.base import TeacherFatal, TeacherRequest, TeacherRetryable, describe_error
from store.jobs import SUBMITTING
from store.records import Job, now


def _batch_client(ctx: RunContext) -> Any:
    from core.teacher.anthropic_teacher import AnthropicTeacher
    from core.teacher.batches import BatchClient

    if not isinstance(ctx.teacher, AnthropicTeacher):
        raise TeacherFatal("Batch mode needs the Anthropic teacher; a local model runs live (drop --batch).")
    return BatchClient(ctx.teacher)


class BatchRun:
    """One batch-mode run; `run()` once."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.client = _batch_client(ctx)
        self.batches: dict[str, dict[str, int]] = {}  # batch id -> custom_id -> job id
        self.reserved: dict[int, float] = {}  # job id -> worst case reserved in this run
        self.resumed: set[int] = set()  # jobs submitted by an earlier run (their reservation is recorded)

    def resume_in_flight(self) -> int:
        jobs = self.ctx.db.jobs.in_batches(self.ctx.teacher.name)
        for job in jobs:
            self.batches.setdefault(job.batch_id, {})[job.idempotency_key] = job.id
            self.resumed.add(job.id)
        return len(jobs)

    def _worst_of(self, job: Job) -> float:
        try:
            return self.ctx.worst_case(self.ctx.prompt_for(job)[0])
        except JobSetupError:
            return 0.0

    def _settle(self, job: Job) -> float:
        """Return the job's reservation; the money recorded for it before it was submitted."""
        if job.id in self.resumed:
            worst = self._worst_of(job)
            self.ctx.budget.spent_before_usd = max(0.0, self.ctx.budget.spent_before_usd - worst)
        else:
            worst = self.reserved.pop(job.id, 0.0)
            self.ctx.budget.release(worst)
        return max(0.0, job.cost_usd - worst)

    async def submit(self, jobs: list[Job]) -> None:
        from core.teacher.batches import MAX_BATCH_REQUESTS

        ctx = self.ctx
        chosen: list[tuple[Job, TeacherRequest]] = []
        for job in jobs:
            if ctx.stopping:
                break
            try:
                prompt, _ = ctx.prompt_for(job)
            except JobSetupError as exc:
                ctx.fail(job, str(exc))
                continue
            amount = ctx.worst_case(prompt)
            if amount and not ctx.budget.take(amount):
                ctx.stop("budget", ctx.budget.stop_message(amount))
                break
            self.reserved[job.id] = amount
            chosen.append((job, ctx.request_for(job, prompt)))
        for start in range(0, len(chosen), MAX_BATCH_REQUESTS):
            await self._submit_one(chosen[start:start + MAX_BATCH_REQUESTS])

    def _give_back(self, chunk: list[tuple[Job, TeacherRequest]], keep_charged: bool) -> None:
        """The batch was not created: its jobs are pending again, their reservations returned (or, when
        the create call may have reached the API, kept as spent)."""
        by_key = {job.idempotency_key: self.reserved.pop(job.id, 0.0) for job, _ in chunk}

        def unmark(doc: MutableMapping[str, Any]) -> None:
            doc.update(status="pending", batch_id="")
            if not keep_charged:
                doc["cost_usd"] = max(0.0, float(doc.get("cost_usd", 0.0)) - by_key.get(doc["idempotency_key"], 0.0))

        self.ctx.db.jobs.change_many([job.id for job, _ in chunk], unmark)
        for amount in by_key.values():
            if keep_charged:
                self.ctx.budget.charge(amount)
            self.ctx.budget.release(amount)

    async def _submit_one(self, chunk: list[tuple[Job, TeacherRequest]]) -> None:
        ctx = self.ctx
        ids = [job.id for job, _ in chunk]
        by_key = {job.idempotency_key: self.reserved.get(job.id, 0.0) for job, _ in chunk}

        def mark_submitting(doc: MutableMapping[str, Any]) -> None:
            doc.update(status="running", batch_id=SUBMITTING, attempts=int(doc.get("attempts", 0)) + 1,
                       started_at=now(),
                       cost_usd=float(doc.get("cost_usd", 0.0)) + by_key.get(doc["idempotency_key"], 0.0))

        tries = 0
        while True:
            ctx.db.jobs.change_many(ids, mark_submitting)  # durable before the call
            for job, _ in chunk:
                job.cost_usd += by_key.get(job.idempotency_key, 0.0)
            try:
                batch_id = await self.client.submit([request for _, request in chunk])
                break
            except TeacherRetryable as exc:
                for job, _ in chunk:
                    job.cost_usd -= by_key.get(job.idempotency_key, 0.0)
                tries += 1
                if tries > ctx.config.max_retries or ctx.stopping:
                    self._give_back(chunk, exc.maybe_paid)
                    for job, _ in chunk:
                        ctx.fail(job, f"could not submit the batch: {describe_error(exc)}")
                    return
                ctx.db.jobs.change_many(ids, lambda doc: doc.update(
                    status="pending", batch_id="",
                    cost_usd=max(0.0, float(doc.get("cost_usd", 0.0)) - by_key.get(doc["idempotency_key"], 0.0))))
                await ctx.sleep(ctx.backoff(tries, exc.retry_after))
            except TeacherFatal as exc:
                for job, _ in chunk:
                    job.cost_usd -= by_key.get(job.idempotency_key, 0.0)
                self._give_back(chunk, False)
                ctx.stop("fatal", describe_error(exc))
                return
        ctx.db.jobs.set_many(ids, batch_id=batch_id)
        ctx.stats.move("pending", "running", len(ids))
        self.batches[batch_id] = {job.idempotency_key: job.id for job, _ in chunk}
        ctx.emit(BatchSubmitted(batch_id, len(ids)))

    async def poll_once(self) -> None:
        for batch_id in list(self.batches):
            status = await self.client.status(batch_id)
            self.ctx.emit(BatchPolled(batch_id, status.processing_status, status.counts))
            if status.ended:
                await self.collect(batch_id)

    async def collect(self, batch_id: str) -> None:
        ctx = self.ctx
        jobs_by_key = self.batches.pop(batch_id)
        seen: set[str] = set()
        to_pending: dict[int, float] = {}  # job id -> its cost before submission
        for outcome in await self.client.results(batch_id):
            job_id = jobs_by_key.get(outcome.custom_id)
            if job_id is None or outcome.custom_id in seen:
                continue  # not ours, or a repeated line
            seen.add(outcome.custom_id)
            job = ctx.db.jobs.find(job_id)
            if job is None or job.status != "running":
                self.reserved.pop(job_id, None)
                continue
            worst = self.reserved.get(job.id, 0.0) if job.id not in self.resumed else self._worst_of(job)
            before = self._settle(job)
            if outcome.kind == "succeeded" and outcome.result is not None:
                try:
                    prompt, passage = ctx.prompt_for(job)
                except JobSetupError as exc:
                    ctx.fail(job, str(exc), was="running", cost=before + worst)
                    ctx.budget.charge(worst)
                    continue
                ctx.budget.charge(ctx.finish(job, prompt, passage, outcome.result, before, worst))
            elif outcome.kind == "canceled":
                ctx.db.jobs.write(job.id, status="cancelled", last_error=outcome.error, batch_id="", cost_usd=before)
                ctx.stats.move("running", "cancelled")
            elif outcome.retryable and job.attempts <= ctx.config.max_retries and not ctx.cancelled:
                to_pending[job.id] = before
                ctx.stats.retries += 1
                ctx.stats.note_error(job.id, f"will be submitted again: {outcome.error}")
            else:
                ctx.fail(job, outcome.error, was="running", cost=before)
        for key, job_id in jobs_by_key.items():  # the results file lacked them: submit again, don't lose them
            if key not in seen:
                job = ctx.db.jobs.find(job_id)
                if job is not None and job.status == "running":
                    to_pending[job_id] = self._settle(job)
        if to_pending:
            costs = {ctx.db.jobs.get(job_id).idempotency_key: cost for job_id, cost in to_pending.items()}
            ctx.db.jobs.change_many(list(to_pending), lambda doc: doc.update(
                status="pending", batch_id="", cost_usd=costs.get(doc["idempotency_key"], doc.get("cost_usd", 0.0))))
            ctx.stats.move("running", "pending", len(to_pending))
        budget = ctx.budget
        ctx.emit(CostUpdated(budget.run_spent_usd, budget.reserved_usd, budget.cap_usd))

    async def cancel_all(self) -> None:
        for batch_id in list(self.batches):
            await self.client.cancel(batch_id)

    def cancel(self) -> None:
        """Nothing to interrupt: the polling loop sees the flag and cancels the batches."""

    def abort(self) -> None:
        """Nothing to interrupt: the polling loop sees the stop and leaves the batches in flight."""

    async def _sleep_or_stop(self, seconds: float) -> None:
        if self.ctx.stopping:  # already stopping (budget, cancel): poll at the normal pace, not faster
            await asyncio.sleep(seconds)
        else:
            await self.ctx.sleep(seconds)

    async def run(self) -> None:
        """Submit the pending jobs as batches, poll until every batch ends, store the results."""
        ctx = self.ctx
        resumed = self.resume_in_flight()
        pending = ctx.pending_jobs()
        ctx.stats.total_jobs = len(pending) + resumed
        cancel_sent = False
        try:
            while True:
                if not ctx.resumed.is_set():
                    await ctx.resumed.wait()
                if ctx.cancelled and not cancel_sent:
                    cancel_sent = True
                    await self.cancel_all()
                    ctx.db.jobs.set_many([j.id for j in ctx.pending_jobs()], status="cancelled")
                if pending and not ctx.stopping:
                    await self.submit(pending)
                if not self.batches:
                    break
                if ctx.stopping and ctx.stats.stop_reason in ("stopped", "fatal", "store"):
                    break  # batches stay in flight; the next run polls them (a budget stop still collects them)
                await self.poll_once()
                if self.batches:
                    await self._sleep_or_stop(ctx.config.batch_poll_s)
                pending = [] if ctx.stopping else ctx.pending_jobs()
        except TeacherFatal as exc:
            ctx.stop("fatal", describe_error(exc))
        except TeacherRetryable as exc:
            ctx.stop("error", f"polling the batch failed ({describe_error(exc)}); run again to resume polling.")

