"""The generation queue: jobs (passage x template x sample) sent to a teacher, durably, within a budget.

Guarantees, and how they are kept:

- **Nothing finished is paid for twice.**  A job is written `running` (attempts + 1) before each call and
  `done` with its example after it; a killed run resumes with `running` jobs reset to pending (or linked to
  their example when it was already written), and a `done` job is never selected again.  Each request
  carries the job's idempotency key.
- **Transient failures are retried** (429, 529, 5xx, timeouts, connection errors) with exponential backoff
  and full jitter, honouring `retry-after`; a `retry-after` also holds back every other worker, since the
  limit is the account's, not the request's.
- **Errors no retry can fix stop the queue** (400, 401, 403, unknown model) with a sentence saying what to
  change; the job that met it goes back to pending.
- **The budget is never crossed.**  Before sending, a job reserves its worst case (the prompt at the dearest
  input price plus `max_tokens` of output); the queue stops when the next reservation would cross the cap.
  The cap counts the spending of this run.
- **Bad answers are failed jobs, not examples** (empty, refused, cut off), with the reason.

The queue runs on asyncio; `pause()`, `resume()`, `stop()` and `cancel()` may be called from the same loop
(the TUI calls them through `loop.call_soon_threadsafe` when it runs the queue in a worker thread).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections import Counter, deque
from typing import Any, Callable, Optional, Union

from core.queue_events import (CostUpdated, Estimate, JobFailed, JobFinished, JobStarted, QueuePaused,
                               QueueStats, QueueStopped, QueueSummary)
from core.queue_jobs import Recovery, recover
from core.teacher.base import (Teacher, TeacherError, TeacherFatal, TeacherOutputError, TeacherRequest,
                               TeacherRetryable, check_output, describe_error)
from core.teacher.pricing import CHARS_PER_TOKEN, cost_usd, worst_case_usd
from core.templates import Prompt, Template, render_prompt, template_from_version
from core.settings import QueueSettings
from store.records import Example, Job, now

_EXAMPLE_FIELDS = {f.name: f for f in dataclasses.fields(Example) if f.name != "id"}
EXPECTED_OUTPUT_TOKENS = 450  # the templates ask for 150-350 words
SAMPLE_FOR_COUNT = 12  # prompts counted exactly by the API to calibrate the characters-per-token ratio
TOKEN_MARGIN = 1.05  # reservations assume prompts 5% longer than estimated


class QueueConfig(QueueSettings):
    """The `[queue]` settings of one run, with the command line's overrides applied."""

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> "QueueConfig":
        fields = dataclasses.asdict(settings.queue)
        fields.update({name: value for name, value in overrides.items() if value is not None})
        return cls(**fields)


class JobSetupError(Exception):
    """A job that cannot even be rendered (its passage or template version is gone)."""


EventSink = Union[Callable[[Any], None], "asyncio.Queue[Any]", None]


class GenerationQueue:
    """Runs a teacher's pending jobs.  Build one per run; `run()` once.

    Args:
        db: the project's `store.Database`.
        teacher: any `core.teacher.Teacher`.
        templates: the project's current templates (older versions are rebuilt from the database).
        config: concurrency, retries, budget.
        on_example: called with each stored `Example` (the quality flagger hooks in here).
        on_event: a callable or an `asyncio.Queue` receiving the events of `core.queue_events`.
        batch: use Message Batches (Anthropic teachers only) instead of live requests.
    """

    def __init__(self, db: Any, teacher: Teacher, templates: list[Template], config: Optional[QueueConfig] = None,
                 *, on_example: Optional[Callable[[Example], Any]] = None, on_event: EventSink = None,
                 batch: bool = False, rng: Optional[random.Random] = None) -> None:
        self.db = db
        self.teacher = teacher
        self.templates = {t.id: t for t in templates}
        self.config = config or QueueConfig()
        self.on_example = on_example
        self.on_event = on_event
        self.batch = batch
        self.rng = rng or random.Random()
        self.stats = QueueStats(budget_usd=self.config.budget_usd, mode="batch" if batch else "live")
        self._price = teacher.price_row(batch=batch)
        self._tokens_per_char = 1.0 / CHARS_PER_TOKEN
        self._tokens_exact = False
        self._resume = asyncio.Event()
        self._resume.set()
        self._stopping = False
        self._cancelled = False
        self._not_before = 0.0  # monotonic time before which no request is sent (a retry-after)
        self._budget_changed: Optional[asyncio.Condition] = None
        self._templates_at: dict[tuple[str, str], Template] = {}
        self._passages: dict[int, Any] = {}
        self._books: dict[int, Any] = {}
        self._todo: deque[int] = deque()
        self._jobs: dict[int, Job] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._in_flight: set[int] = set()
        self._cancelled_in_flight: set[int] = set()
        self.recovery: Optional[Recovery] = None

    # -- selection -------------------------------------------------------------
    def pending_jobs(self) -> list[Job]:
        name = self.teacher.name
        jobs = self.db.jobs.where(lambda d: d.get("status") == "pending" and d.get("teacher") == name)
        return sorted(jobs, key=lambda j: j.id)

    def _refresh_counts(self) -> None:
        name = self.teacher.name
        self.stats.counts = Counter(d.get("status", "pending") for d in list(self.db.jobs.table._read_table().values())
                                    if d.get("teacher") == name)

    # -- rendering ---------------------------------------------------------------
    def template_for(self, job: Job) -> Template:
        current = self.templates.get(job.template_id)
        if current is not None and current.version == job.template_version:
            return current
        cache_key = (job.template_id, job.template_version)
        if cache_key not in self._templates_at:
            old = template_from_version(self.db, job.template_id, job.template_version)
            if old is None:
                raise JobSetupError(f"template {job.template_id} version {job.template_version} is not in the "
                                    f"database any more; enqueue the passage again.")
            self._templates_at[cache_key] = old
        return self._templates_at[cache_key]

    def prompt_for(self, job: Job) -> tuple[Prompt, Any]:
        passage = self._passages.get(job.passage_id)
        if passage is None:
            passage = self.db.passages.find(job.passage_id)
            if passage is None:
                raise JobSetupError(f"passage {job.passage_id} was deleted.")
            self._passages[job.passage_id] = passage
        book = self._books.get(passage.book_id)
        if book is None:
            book = self.db.books.find(passage.book_id)
            self._books[passage.book_id] = book
        return render_prompt(self.template_for(job), passage, book), passage

    def request_for(self, job: Job, prompt: Prompt) -> TeacherRequest:
        return TeacherRequest(prompt=prompt, key=job.idempotency_key)

    def _prompt_tokens(self, prompt: Prompt) -> int:
        return int(prompt.chars * self._tokens_per_char * TOKEN_MARGIN) + 1

    def worst_case(self, prompt: Prompt) -> float:
        if self.teacher.is_free:
            return 0.0
        return worst_case_usd(self._prompt_tokens(prompt), self.teacher.max_tokens, self._price)

    # -- preflight -----------------------------------------------------------------
    async def estimate(self, jobs: Optional[list[Job]] = None) -> Estimate:
        """Tokens and cost of running `jobs` (default: all pending), with the assumptions spelled out."""
        jobs = self.pending_jobs() if jobs is None else jobs
        prompts: list[tuple[Job, Prompt]] = []
        for job in jobs:
            try:
                prompts.append((job, self.prompt_for(job)[0]))
            except JobSetupError:
                continue
        await self._calibrate([p for _, p in prompts])
        ratio = self._tokens_per_char
        prompt_tokens = sum(int(p.chars * ratio) + 1 for _, p in prompts)
        max_tokens = self.teacher.max_tokens
        expected_out = min(max_tokens, EXPECTED_OUTPUT_TOKENS)
        mode = "batch" if self.batch else "live"
        assumptions = [f"~{expected_out} output tokens per example (the templates ask for 150-350 words); "
                       f"at most teacher.max_tokens = {max_tokens}."]
        if self.teacher.is_free:
            assumptions.insert(0, "a local model: no cost.")
            return Estimate(len(prompts), prompt_tokens, expected_out * len(prompts), max_tokens * len(prompts),
                            self._tokens_exact, 0.0, 0.0, mode, assumptions)
        # The static prefix of each template (system prompt, AVOID list, instructions) is written to the
        # cache by the first request of a template and read by the others.
        static_chars: dict[str, int] = {}
        expected = 0.0
        row = self._price
        for job, prompt in prompts:
            static = sum(map(len, prompt.system_parts)) + (len(prompt.user_parts[0]) if len(prompt.user_parts) > 1 else 0)
            dynamic = prompt.chars - static
            static_tokens, dynamic_tokens = int(static * ratio), int(dynamic * ratio) + 1
            key = f"{job.template_id}@{job.template_version}"
            if key in static_chars:
                expected += (static_tokens * row["cache_read"] + dynamic_tokens * row["input"]) / 1e6
            else:
                static_chars[key] = static
                expected += (static_tokens * row["cache_write"] + dynamic_tokens * row["input"]) / 1e6
            expected += expected_out * row["output"] / 1e6
        worst = sum(self.worst_case(p) for _, p in prompts)
        assumptions.append("the shared system prompt, AVOID list and instructions of each template are written to "
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
        return Estimate(len(prompts), prompt_tokens, expected_out * len(prompts), max_tokens * len(prompts),
                        self._tokens_exact, expected, worst, mode, assumptions)

    async def _calibrate(self, prompts: list[Prompt]) -> None:
        """Count a few prompts exactly to learn this teacher's tokens per character."""
        if not prompts or self._tokens_exact:
            return
        step = max(1, len(prompts) // SAMPLE_FOR_COUNT)
        sample = prompts[::step][:SAMPLE_FOR_COUNT]
        counted = await asyncio.gather(*(self.teacher.count_tokens(TeacherRequest(p)) for p in sample))
        if all(c.exact for c in counted):
            chars = sum(p.chars for p in sample)
            self._tokens_per_char = sum(c.tokens for c in counted) / max(chars, 1)
            self._tokens_exact = True

    # -- control -------------------------------------------------------------------
    def pause(self) -> None:
        if self._resume.is_set():
            self._resume.clear()
            self.stats.paused = True
            self._emit(QueuePaused(True))

    def resume(self) -> None:
        if not self._resume.is_set():
            self._resume.set()
            self.stats.paused = False
            self._emit(QueuePaused(False))

    def stop(self) -> None:
        """Finish the requests in flight, send no more; the rest stay pending."""
        self._stop("stopped", "stopped by the user; the remaining jobs stay pending.")

    def cancel(self) -> None:
        """Abandon the requests in flight and cancel this run's remaining jobs."""
        self._cancelled = True
        self._cancelled_in_flight = set(self._in_flight)
        self._stop("cancelled", "cancelled by the user.")
        for task in self._workers:
            task.cancel()

    def abort(self) -> None:
        """Leave now (the app is closing): in-flight requests are abandoned and their jobs, still `running`,
        go back to pending when the next run starts (the same path as after a crash)."""
        self._stop("stopped", "the app was closed; the remaining jobs resume next time.")
        for task in self._workers:
            task.cancel()

    def _stop(self, reason: str, message: str) -> None:
        if not self._stopping:
            self._stopping = True
            self.stats.stop_reason, self.stats.stop_message = reason, message
        self._resume.set()  # wake paused workers so they can leave
        if self._budget_changed is not None:
            asyncio.ensure_future(self._notify_budget())

    async def _notify_budget(self) -> None:
        if self._budget_changed is not None:
            async with self._budget_changed:
                self._budget_changed.notify_all()

    def _emit(self, event: Any) -> None:
        sink = self.on_event
        if sink is None:
            return
        if isinstance(sink, asyncio.Queue):
            sink.put_nowait(event)
        else:
            sink(event)

    # -- running ---------------------------------------------------------------------
    async def run(self) -> QueueSummary:
        """Run the pending jobs (live or as batches) until done, stopped, cancelled or out of budget."""
        started = time.monotonic()
        self.stats.started_at = started
        self.stats.running = True
        self._budget_changed = asyncio.Condition()
        self.recovery = recover(self.db)
        self._refresh_counts()
        try:
            if self.batch:
                from core.queue_batch import run_batches

                await run_batches(self)
            else:
                await self._run_live()
        finally:
            self.stats.running = False
            self.stats.finished_at = time.monotonic()
            if not self.stats.stop_reason:
                self.stats.stop_reason = "done"
                self.stats.stop_message = "every job has been tried."
            self._refresh_counts()
            self._emit(QueueStopped(self.stats.stop_reason, self.stats.stop_message))
        counts = self.stats.counts
        return QueueSummary(done=self.stats.done, failed=self.stats.failed, cancelled=counts.get("cancelled", 0),
                            pending=counts.get("pending", 0), stats=self.stats,
                            elapsed_s=time.monotonic() - started)

    async def _run_live(self) -> None:
        jobs = self.pending_jobs()
        self.stats.total_jobs = len(jobs)
        if not jobs:
            return
        if not self.teacher.is_free and not self._tokens_exact:
            await self._calibrate([self.prompt_for(j)[0] for j in jobs[:SAMPLE_FOR_COUNT * 4]
                                   if self._renderable(j)])
        self._todo = deque(j.id for j in jobs)
        self._jobs = {j.id: j for j in jobs}
        count = max(1, min(self.config.concurrency, len(jobs)))
        self._workers = [asyncio.create_task(self._worker()) for _ in range(count)]
        try:
            finished, _ = await asyncio.wait(self._workers)
        except asyncio.CancelledError:  # the run itself was cancelled (Ctrl-C): in-flight jobs stay "running"
            for task in self._workers:
                task.cancel()
            raise
        for task in finished:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]  # a bug or a store error: never swallowed
        if self._cancelled:
            self._cancel_remaining()

    def _renderable(self, job: Job) -> bool:
        try:
            self.prompt_for(job)
            return True
        except JobSetupError:
            return False

    def _cancel_remaining(self) -> None:
        ids = list(self._todo) + list(self._cancelled_in_flight)
        self._todo.clear()
        if ids:
            wanted = set(ids)
            live = [i for i in wanted if self.db.jobs.table._read_table().get(str(i), {}).get("status")
                    in ("pending", "running")]
            if live:
                self.db.jobs.table.update({"status": "cancelled", "updated": now()}, doc_ids=live)

    async def _worker(self) -> None:
        while True:
            if not self._resume.is_set():
                await self._resume.wait()
            if self._stopping or not self._todo:
                return
            job_id = self._todo.popleft()
            raw = self.db.jobs.table._read_table().get(str(job_id))
            job = self._jobs.get(job_id)
            if raw is None or job is None or raw.get("status") != "pending":
                continue  # deleted, or taken care of elsewhere since the run started
            job.attempts = int(raw.get("attempts", 0))
            try:
                prompt, passage = self.prompt_for(job)
            except JobSetupError as exc:
                self._fail(job, str(exc))
                continue
            reserve = self.worst_case(prompt)
            if reserve and not await self._reserve(reserve):
                self._todo.appendleft(job_id)
                self._stop("budget", f"the budget of ${self.config.budget_usd:.2f} would be crossed by the next job "
                                     f"(${self.stats.spent_usd:.4f} spent); raise it with --budget or "
                                     f"queue.budget_usd.")
                return
            self._in_flight.add(job_id)
            try:
                await self._send(job, prompt, passage)
            finally:
                self._in_flight.discard(job_id)
                if reserve:
                    await self._release(reserve)

    async def _reserve(self, amount: float) -> bool:
        assert self._budget_changed is not None
        async with self._budget_changed:
            while True:
                if self._stopping:
                    return False
                spent, reserved = self.stats.spent_usd, self.stats.reserved_usd
                if spent + reserved + amount <= self.config.budget_usd + 1e-12:
                    self.stats.reserved_usd = reserved + amount
                    return True
                if reserved <= 1e-12:
                    return False
                await self._budget_changed.wait()  # in-flight jobs may cost less than reserved

    async def _release(self, amount: float) -> None:
        assert self._budget_changed is not None
        async with self._budget_changed:
            self.stats.reserved_usd = max(0.0, self.stats.reserved_usd - amount)
            self._budget_changed.notify_all()
        self._emit(CostUpdated(self.stats.spent_usd, self.stats.reserved_usd, self.config.budget_usd))

    def backoff(self, tries: int, retry_after: Optional[float]) -> float:
        """Full jitter: uniform(0, min(max, base * 2^(tries-1))); a server's retry-after wins when longer."""
        ceiling = min(self.config.backoff_max_s, self.config.backoff_base_s * (2 ** max(0, tries - 1)))
        delay = self.rng.uniform(0.0, ceiling)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay

    async def _wait_gate(self) -> None:
        while True:
            wait = self._not_before - time.monotonic()
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    async def _send(self, job: Job, prompt: Prompt, passage: Any) -> None:
        request = self.request_for(job, prompt)
        tries = 0
        attempts = job.attempts
        while True:
            await self._wait_gate()
            if self._cancelled:
                return
            tries += 1
            attempts += 1
            self._update_job(job.id, status="running", attempts=attempts, started_at=now())
            if tries == 1:
                self.stats.move("pending", "running")
            self._emit(JobStarted(job.id, attempts))
            try:
                result = await self.teacher.generate(request)
            except TeacherRetryable as exc:
                reason = describe_error(exc)
                if tries > self.config.max_retries:
                    self._fail(job, f"gave up after {tries} tries: {reason}", was="running")
                    return
                delay = self.backoff(tries, exc.retry_after)
                if exc.retry_after is not None:
                    self._not_before = max(self._not_before, time.monotonic() + exc.retry_after)
                self.stats.retries += 1
                self.stats.note_error(job.id, f"retrying in {delay:.1f}s: {reason}")
                self._emit(JobFailed(job.id, reason, retrying=True, delay_s=delay))
                await asyncio.sleep(delay)
                continue
            except TeacherFatal as exc:
                message = describe_error(exc)
                self.db.jobs.update(job.id, status="pending", last_error=message)
                self.stats.move("running", "pending")
                self.stats.note_error(job.id, message)
                self._stop("fatal", message)
                return
            except TeacherError as exc:
                self._fail(job, describe_error(exc), was="running")
                return
            self._finish(job, prompt, passage, result)
            return

    def _fail(self, job: Job, reason: str, was: str = "pending", cost: float = 0.0,
              usage: Optional[dict[str, int]] = None) -> None:
        fields: dict[str, Any] = {"status": "failed", "last_error": reason, "finished_at": now()}
        if usage is not None:
            fields.update(cost_usd=cost, usage=usage)
        self._update_job(job.id, **fields)
        self.stats.move(was, "failed")
        self.stats.failed += 1
        self.stats.note_error(job.id, reason)
        self._emit(JobFailed(job.id, reason))

    def _finish(self, job: Job, prompt: Prompt, passage: Any, result: Any) -> None:
        usage = result.usage.to_dict()
        cost = result.cost_usd if not self.teacher.is_free else 0.0
        self.stats.add_usage(usage, cost)
        try:
            text = check_output(result.text, result.stop_reason, self.teacher.max_tokens)
        except TeacherOutputError as exc:
            self._fail(job, describe_error(exc), was="running", cost=cost, usage=usage)
            return
        example = self.store_example(job, prompt, passage, text, usage, cost) if self.on_example else None
        if example is None:
            example_id = self._insert_example(job, prompt, passage, text, usage, cost)
        else:
            example_id = example.id
        self._update_job(job.id, status="done", example_id=example_id, cost_usd=cost, usage=usage,
                         last_error="", finished_at=now())
        self.stats.move("running", "done")
        self.stats.done += 1
        self.stats.record_finish()
        self._emit(JobFinished(job.id, example_id, cost, dict(usage)))
        if example is not None:
            self.call_hook(example)

    def _update_job(self, job_id: int, **fields: Any) -> None:
        """One durable journal line; no read-back (the queue keeps its own view of the job)."""
        fields["updated"] = now()
        self.db.jobs.table.update(fields, doc_ids=[job_id])

    def store_example(self, job: Job, prompt: Prompt, passage: Any, text: str, usage: dict[str, int],
                      cost: float) -> Example:
        """Store the example of a finished job and return it (a copy)."""
        example_id = self._insert_example(job, prompt, passage, text, usage, cost)
        return self.db.examples.get(example_id)

    def _insert_example(self, job: Job, prompt: Prompt, passage: Any, text: str, usage: dict[str, int],
                        cost: float) -> int:
        # Built as a document directly: `dataclasses.asdict` deep-copies, which is most of the queue's own
        # CPU per job at hundreds of jobs per second.  Every value here is fresh, so nothing is shared.
        stamp = now()
        doc = {name: value.default if value.default is not dataclasses.MISSING else value.default_factory()  # type: ignore[misc]
               for name, value in _EXAMPLE_FIELDS.items()}
        doc.update(created=stamp, updated=stamp, job_id=job.id, passage_id=job.passage_id,
                   book_id=int(getattr(passage, "book_id", 0)), template_id=job.template_id,
                   template_version=job.template_version, teacher=self.teacher.name,
                   messages=[{"role": "system", "content": prompt.system},
                             {"role": "user", "content": prompt.user},
                             {"role": "assistant", "content": text}],
                   usage=dict(usage), cost_usd=cost)
        return self.db.examples.table.insert(doc)

    def call_hook(self, example: Example) -> None:
        if self.on_example is None:
            return
        try:
            self.on_example(example)
        except Exception as exc:  # a flagger bug must not lose the example or stop the queue
            self.stats.note_error(example.job_id, f"the example hook failed: {type(exc).__name__}: {exc}")


def cost_of(usage: dict[str, int], row: dict[str, float]) -> float:
    """Cost of a usage dict (as stored on jobs and examples) at a price row."""
    from core.teacher.base import Usage

    return cost_usd(Usage(**{k: int(usage.get(k, 0)) for k in ("input", "output", "cache_read", "cache_write")}), row)
