"""Live mode: a bounded number of workers send the pending jobs one request at a time.

Each attempt reserves the request's worst case before it is sent, and writes the job `running` with that
reservation in its `cost_usd` (one journal line), so that a kill at any moment leaves the money accounted
for.  Transient failures are retried with backoff and jitter; a `retry-after` holds back every worker.
Every exception a request can end in becomes a job outcome (done, failed, pending again, cancelled); a
store that refuses writes stops the run.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Optional

from core.queue.context import JobSetupError, RunContext
from core.queue.events import CostUpdated, JobFailed, JobStarted
from core.teacher.base import (TeacherFatal, TeacherOutputError, TeacherRequest, TeacherRetryable,
                               describe_error)
from core.templates import Prompt
from store.journal import StoreError
from store.records import Job, Passage, now

SAMPLE_FOR_COUNT = 12  # prompts counted exactly by the API to calibrate the characters-per-token ratio


class LiveRun:
    """One live run over the teacher's pending jobs; `run()` once."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.todo: deque[int] = deque()
        self.jobs: dict[int, Job] = {}
        self.workers: list[asyncio.Task[None]] = []
        self.in_flight: set[int] = set()
        self.cancelled_in_flight: set[int] = set()

    async def run(self) -> None:
        ctx = self.ctx
        jobs = ctx.pending_jobs()
        ctx.stats.total_jobs = len(jobs)
        if not jobs:
            return
        if not ctx.teacher.is_free and not ctx.tokens_exact:
            await ctx.calibrate([ctx.prompt_for(j)[0] for j in jobs[:SAMPLE_FOR_COUNT * 4] if ctx.renderable(j)],
                                SAMPLE_FOR_COUNT)
        self.todo = deque(j.id for j in jobs)
        self.jobs = {j.id: j for j in jobs}
        count = max(1, min(ctx.config.concurrency, len(jobs)))
        self.workers = [asyncio.create_task(self._worker()) for _ in range(count)]
        try:
            outcomes = await asyncio.gather(*self.workers, return_exceptions=True)
        except asyncio.CancelledError:  # the run itself was cancelled (Ctrl-C): in-flight jobs stay "running"
            for task in self.workers:
                task.cancel()
            await asyncio.gather(*self.workers, return_exceptions=True)
            raise
        if ctx.cancelled:
            self.cancel_remaining()
        errors = [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, asyncio.CancelledError)]
        if errors:
            raise errors[0]  # a bug: never swallowed (every task's outcome was retrieved above)

    def cancel(self) -> None:
        """Abandon the requests in flight; `cancel_remaining` marks their jobs and the rest cancelled."""
        self.cancelled_in_flight = set(self.in_flight)
        for task in self.workers:
            task.cancel()

    def abort(self) -> None:
        """Leave now; in-flight jobs stay `running` and go back to pending when the next run starts."""
        for task in self.workers:
            task.cancel()

    def cancel_remaining(self) -> None:
        ids = list(self.todo) + list(self.cancelled_in_flight)
        self.todo.clear()
        if ids:
            db = self.ctx.db
            db.jobs.set_many(db.jobs.still_live(sorted(set(ids))), status="cancelled")

    async def _worker(self) -> None:
        ctx = self.ctx
        while True:
            if not ctx.resumed.is_set():
                await ctx.resumed.wait()
            if ctx.stopping or not self.todo:
                return
            job_id = self.todo.popleft()
            job = self.jobs.get(job_id)
            if job is None or ctx.db.jobs.status_of(job_id) != "pending":
                continue  # deleted, or taken care of elsewhere since the run started
            try:
                job.attempts, job.cost_usd = ctx.db.jobs.attempts_and_cost(job_id)
                try:
                    prompt, passage = ctx.prompt_for(job)
                except JobSetupError as exc:
                    ctx.fail(job, str(exc))
                    continue
                self.in_flight.add(job_id)
                try:
                    await self._send(job, prompt, passage)
                finally:
                    self.in_flight.discard(job_id)
            except StoreError as exc:
                ctx.store_failed(exc)
                return

    def _cost_changed(self) -> None:
        budget = self.ctx.budget
        self.ctx.emit(CostUpdated(budget.run_spent_usd, budget.reserved_usd, budget.cap_usd))

    async def _send(self, job: Job, prompt: Prompt, passage: Passage) -> None:
        """Send one job until it has an outcome: done, failed, pending again (stop/budget/fatal) or left
        `running` for a cancel or an abort to settle."""
        ctx = self.ctx
        budget = ctx.budget
        request = ctx.request_for(job, prompt)
        worst = ctx.worst_case(prompt)
        charged = job.cost_usd  # money recorded for this job before this attempt (earlier runs, timeouts)
        tries, attempts, started = 0, job.attempts, False
        while True:
            await ctx.wait_gate()
            if ctx.cancelled:
                return
            if ctx.stopping and started:
                ctx.back_to_pending(job, charged)
                return
            if worst and not await budget.reserve(worst, lambda: ctx.stopping):
                if started:
                    ctx.back_to_pending(job, charged)
                else:
                    self.todo.appendleft(job.id)
                ctx.stop("budget", budget.stop_message(worst))
                return
            tries += 1
            attempts += 1
            try:
                ctx.db.jobs.write(job.id, status="running", attempts=attempts, started_at=now(),
                                  cost_usd=charged + worst)
            except BaseException:
                budget.release(worst)
                raise
            if not started:
                ctx.stats.move("pending", "running")
                started = True
            ctx.emit(JobStarted(job.id, attempts))
            outcome = await self._attempt(job, prompt, passage, request, charged, worst, tries)
            if outcome is None:
                return
            charged, delay = outcome
            await ctx.sleep(delay)

    async def _attempt(self, job: Job, prompt: Prompt, passage: Passage, request: TeacherRequest, charged: float,
                       worst: float, tries: int) -> Optional[tuple[float, float]]:
        """One request; None when the job has its outcome, else (money charged so far, delay before retry)."""
        ctx, budget = self.ctx, self.ctx.budget
        try:
            result = await ctx.teacher.generate(request)
        except TeacherRetryable as exc:
            if exc.maybe_paid:  # timed out on our side: the server may have answered and billed it
                budget.charge(worst)
                charged += worst
            budget.release(worst)
            self._cost_changed()
            reason = describe_error(exc)
            if tries > ctx.config.max_retries:
                ctx.fail(job, f"gave up after {tries} tries: {reason}", was="running", cost=charged)
                return None
            delay = ctx.backoff(tries, exc.retry_after)
            if exc.retry_after is not None:
                ctx.hold_back(exc.retry_after, reason)
            ctx.stats.retries += 1
            ctx.stats.note_error(job.id, f"retrying in {delay:.1f}s: {reason}")
            ctx.emit(JobFailed(job.id, reason, retrying=True, delay_s=delay))
            return charged, delay
        except TeacherFatal as exc:
            budget.release(worst)
            message = describe_error(exc)
            ctx.back_to_pending(job, charged, message)
            ctx.stats.note_error(job.id, message)
            ctx.stop("fatal", message)
            return None
        except asyncio.CancelledError:
            budget.charge(worst)  # abandoned in flight: it may still be answered and billed
            budget.release(worst)
            raise
        except Exception as exc:  # noqa: BLE001 - malformed answers and teacher bugs fail the job, never the run
            paid = not isinstance(exc, TeacherOutputError) or exc.paid
            spent = worst if paid else 0.0
            budget.charge(spent)
            budget.release(worst)
            reason = describe_error(exc) if isinstance(exc, TeacherOutputError) else \
                f"the teacher's answer could not be read ({type(exc).__name__}: {describe_error(exc)})"
            ctx.fail(job, reason, was="running", cost=charged + spent)
            self._cost_changed()
            return None
        try:
            cost = ctx.finish(job, prompt, passage, result, charged, worst)
        except StoreError:
            budget.charge(worst)
            budget.release(worst)
            ctx.unsaved_answers += 1
            raise
        budget.charge(cost)
        budget.release(worst)
        self._cost_changed()
        return None
