"""The generation queue: jobs (passage x template x sample) sent to a teacher, durably, within a budget.

Guarantees, and how they are kept:

- **Nothing finished is paid for twice.**  A job is written `running` (attempts + 1) before each call and
  `done` with its example after it; a killed run resumes with `running` jobs reset to pending (or linked to
  their example when it was already written), and a `done` job is never selected again.  Each request
  carries the job's idempotency key.
- **Transient failures are retried** (429, 529, 5xx, timeouts, connection errors) with exponential backoff
  and full jitter, honouring `retry-after` (capped at 60 s and shown as a wait); a `retry-after` also holds
  back every other worker, since the limit is the account's, not the request's.
- **Errors no retry can fix stop the queue** (400, 401, 403, unknown model) with a sentence saying what to
  change; the job that met it goes back to pending.  So does a store that cannot be written (a full disk).
- **The budget is never crossed** (see `core.queue.budget` for exactly what it bounds): the project's
  lifetime spend on the teacher, timeouts and killed runs charged at their worst case, plus an optional
  per-run cap.
- **Bad answers are failed jobs, not examples** (empty, refused, cut off, malformed, impossible usage),
  with the reason; no exception from a response leaves a job `running`.

The queue runs on asyncio; `pause()`, `resume()`, `stop()` and `cancel()` may be called from the same loop
(the studio calls them through `loop.call_soon_threadsafe` when it runs the queue in a worker thread).
Live and batch runs (`core.queue.live`, `core.queue.batch`) share only `RunContext`'s public interface.
"""

from __future__ import annotations

import random
import time
from typing import Any, Callable, Optional, Union

from core.queue.backfill import default_backfill_system
from core.queue.batch import BatchRun
from core.queue.context import EventSink, QueueConfig, RunContext, request_chars
from core.queue.events import Estimate, QueueStats, QueueStopped, QueueSummary
from core.queue.jobs import Recovery, recover
from core.queue.live import SAMPLE_FOR_COUNT, LiveRun
from core.teacher.base import Teacher, TeacherFatal, TeacherRequest, describe_error
from core.templates import Prompt, Template
from store.database import Database
from store.journal import StoreError
from store.records import Example, Job, JobKind, Passage

# Output tokens expected per job: a conversation (answers of 150-350 words, a user turn, the JSON around
# them) or a backfill's one user turn.
EXPECTED_OUTPUT_TOKENS: dict[str, int] = {"generate": 550, "backfill": 80}


class GenerationQueue:
    """Runs a teacher's pending jobs.  Build one per run; `run()` once.

    Args:
        db: the project's `store.Database`.
        teacher: any `core.teacher.Teacher`.
        templates: the project's current templates (older versions are rebuilt from the database).
        config: concurrency, retries, budget.
        on_example: called with each stored `Example` (the quality flagger hooks in here).
        on_event: a callable or an `asyncio.Queue` receiving the events of `core.queue.events`.
        batch: use Message Batches (Anthropic teachers only) instead of live requests.
        kinds: the job kinds to send ("generate", "backfill"); None sends every pending job.
        backfill_system: the backfill prompt (default: the packaged one; `build_queue` reads the project's).
    """

    def __init__(self, db: Database, teacher: Teacher, templates: list[Template],
                 config: Optional[QueueConfig] = None, *, on_example: Optional[Callable[[Example], Any]] = None,
                 on_event: EventSink = None, batch: bool = False, rng: Optional[random.Random] = None,
                 kinds: Optional[tuple[JobKind, ...]] = None, backfill_system: str = "") -> None:
        self.db = db
        self.teacher = teacher
        self.batch = batch
        self.ctx = RunContext(db, teacher, templates, config or QueueConfig(), on_example=on_example,
                              on_event=on_event, batch=batch, rng=rng or random.Random(), kinds=kinds)
        self.ctx.backfill_system = backfill_system or default_backfill_system()
        self.recovery: Optional[Recovery] = None
        self._mode: Optional[Union[LiveRun, BatchRun]] = None

    @property
    def config(self) -> QueueConfig:
        return self.ctx.config

    @property
    def stats(self) -> QueueStats:
        return self.ctx.stats

    @property
    def on_event(self) -> EventSink:
        return self.ctx.on_event

    @on_event.setter
    def on_event(self, sink: EventSink) -> None:
        self.ctx.on_event = sink

    # -- jobs and prompts ------------------------------------------------------------------------
    def pending_jobs(self) -> list[Job]:
        return self.ctx.pending_jobs()

    def template_for(self, job: Job) -> Template:
        return self.ctx.template_for(job)

    def prompt_for(self, job: Job) -> tuple[Prompt, Passage]:
        return self.ctx.prompt_for(job)

    def request_for(self, job: Job, prompt: Prompt) -> TeacherRequest:
        return self.ctx.request_for(job, prompt)

    def worst_case(self, prompt: Prompt) -> float:
        return self.ctx.worst_case(prompt)

    def store_example(self, job: Job, prompt: Prompt, passage: Passage, text: str, usage: dict[str, int],
                      cost: float, student: Optional[list[dict[str, str]]] = None) -> Example:
        """Store an example for a job as the queue does (without marking the job) and return it."""
        example_id = self.db.jobs.insert_example(
            job_id=job.id, passage_id=job.passage_id, book_id=int(passage.book_id), template_id=job.template_id,
            template_version=job.template_version, teacher=self.teacher.name,
            messages=[{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user},
                      {"role": "assistant", "content": text}], usage=dict(usage), cost_usd=cost,
            student=list(student or []), student_shape=self.ctx.shape_for(job) if student else "")
        return self.db.examples.get(example_id)

    # -- preflight -------------------------------------------------------------------------------
    async def estimate(self, jobs: Optional[list[Job]] = None) -> Estimate:
        """Tokens and cost of running `jobs` (default: all pending), with the assumptions spelled out."""
        ctx = self.ctx
        jobs = self.pending_jobs() if jobs is None else jobs
        prompts = [(job, ctx.prompt_for(job)[0]) for job in jobs if ctx.renderable(job)]
        await ctx.calibrate([p for _, p in prompts], SAMPLE_FOR_COUNT)
        ratio = ctx.tokens_per_char
        prompt_tokens = sum(int(request_chars(p) * ratio) + 1 for _, p in prompts)
        max_tokens = self.teacher.max_tokens
        outs = [min(max_tokens, EXPECTED_OUTPUT_TOKENS.get(job.kind, EXPECTED_OUTPUT_TOKENS["generate"]))
                for job, _ in prompts]  # by position: a planned job (a dry run) has no id yet
        expected_out = sum(outs)
        mode = "batch" if self.batch else "live"
        kinds = {job.kind for job, _ in prompts}
        assumptions = [", ".join(
            [f"~{min(max_tokens, EXPECTED_OUTPUT_TOKENS['generate'])} output tokens per student conversation "
             f"(answers of 150-350 words, the user turn, the JSON around them)"] * ("generate" in kinds)
            + [f"~{min(max_tokens, EXPECTED_OUTPUT_TOKENS['backfill'])} per backfilled user turn"] * ("backfill" in kinds))
            + f"; at most teacher.max_tokens = {max_tokens}."]
        if self.teacher.is_free:
            assumptions.insert(0, "a local model: no cost.")
            return Estimate(len(prompts), prompt_tokens, expected_out, max_tokens * len(prompts),
                            ctx.tokens_exact, 0.0, 0.0, mode, assumptions)
        # The static prefix of each template (system prompt, AVOID list, instructions) is written to the
        # cache by the first request of a template and read by the others.
        seen: set[str] = set()
        expected = 0.0
        row = ctx.price
        for (job, prompt), out_tokens in zip(prompts, outs):
            static = sum(map(len, prompt.system_parts)) + (len(prompt.user_parts[0]) if len(prompt.user_parts) > 1 else 0)
            static += request_chars(prompt) - prompt.chars  # the tool is part of the cached prefix
            static_tokens, dynamic_tokens = int(static * ratio), int((request_chars(prompt) - static) * ratio) + 1
            key = "backfill" if job.kind == "backfill" else f"{job.template_id}@{job.template_version}"
            static_price = row["cache_read"] if key in seen else row["cache_write"]
            seen.add(key)
            expected += (static_tokens * static_price + dynamic_tokens * row["input"]) / 1e6
            expected += out_tokens * row["output"] / 1e6
        worst = sum(self.worst_case(p) for _, p in prompts)
        assumptions.append("the tool, shared system prompt, AVOID list, student-conversation guidance and "
                           "instructions of each template are written to "
                           "the prompt cache once (cache-write price) and read from it afterwards (cache-read "
                           "price); the cache lasts 5 minutes, and prompts shorter than the model's minimum "
                           "(1,024 tokens for Sonnet/Opus, 2,048 for Haiku) are not cached, so the real cost "
                           "can be higher, never above the worst case.")
        if self.batch:
            live_input = self.teacher.price_row(batch=False).get("input", 0.0)
            share = row.get("input", 0.0) / live_input if live_input else 1.0
            assumptions.append(f"Message Batches prices: {share:.0%} of live prices (teacher.batch_discount); "
                               f"batches may hit the prompt cache less often.")
        assumptions.append("the budget cap reserves each job's worst case before sending it.")
        return Estimate(len(prompts), prompt_tokens, expected_out, max_tokens * len(prompts),
                        ctx.tokens_exact, expected, worst, mode, assumptions)

    # -- control ---------------------------------------------------------------------------------
    def pause(self) -> None:
        self.ctx.pause()

    def resume(self) -> None:
        self.ctx.resume()

    def stop(self) -> None:
        """Finish the requests in flight, send no more; the rest stay pending."""
        self.ctx.stop("stopped", "stopped by the user; the remaining jobs stay pending.")

    def cancel(self) -> None:
        """Abandon the requests in flight and cancel this run's remaining jobs."""
        self.ctx.cancelled = True
        if self._mode is not None:
            self._mode.cancel()
        self.ctx.stop("cancelled", "cancelled by the user.")

    def abort(self) -> None:
        """Leave now (the app is closing): in-flight requests are abandoned and their jobs, still `running`,
        go back to pending when the next run starts (the same path as after a crash)."""
        self.ctx.stop("stopped", "the app was closed; the remaining jobs resume next time.")
        if self._mode is not None:
            self._mode.abort()

    # -- running ---------------------------------------------------------------------------------
    async def run(self) -> QueueSummary:
        """Run the pending jobs (live or as batches) until done, stopped, cancelled or out of budget."""
        ctx, stats = self.ctx, self.ctx.stats
        started = time.monotonic()
        stats.started_at, stats.finished_at, stats.running = started, 0.0, True
        try:
            self.recovery = recover(self.db)
            ctx.refresh_counts()
            ctx.start_budget()
            self._mode = BatchRun(ctx) if self.batch else LiveRun(ctx)
            if ctx.cancelled:  # cancelled before it started
                ctx.stop("cancelled", "cancelled by the user.")
            await self._mode.run()
        except StoreError as exc:
            ctx.store_failed(exc)
        except TeacherFatal as exc:
            ctx.stop("fatal", describe_error(exc))
        finally:
            stats.running = False
            stats.finished_at = time.monotonic()
            if not stats.stop_reason:
                stats.stop_reason = "done"
                stats.stop_message = "every job has been tried."
            if ctx.unsaved_answers:
                stats.stop_message += (f" {ctx.unsaved_answers} answers received could not be stored; "
                                       f"their jobs will be sent again.")
            ctx.refresh_counts()
            ctx.emit(QueueStopped(stats.stop_reason, stats.stop_message))
        counts = stats.counts
        return QueueSummary(done=stats.done, failed=stats.failed, cancelled=counts.get("cancelled", 0),
                            pending=counts.get("pending", 0), stats=stats, elapsed_s=time.monotonic() - started)
