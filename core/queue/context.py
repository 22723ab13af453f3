"""What a live run and a batch run share: the store, the teacher, prompts, the budget, control and events.

`core.queue.live` and `core.queue.batch` each drive a run through this one public interface (and nothing
else of each other or of `GenerationQueue`), so either can change without the other noticing.  Every job
write goes through `store.jobs` in one journal line; every outcome of a request ends in `finish`, `fail`
or `back_to_pending`, so no job is left `running` by this process except while its request is in flight.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import time
from typing import Any, Callable, Optional, Union

from core.queue.answers import backfill_tool, backfill_user_turn, raw_answer, request_hash, student_turns
from core.queue.backfill import backfill_prompt, backfill_shape
from core.queue.budget import Budget, usage_problem
from core.queue.events import JobFailed, JobFinished, QueueEvent, QueuePaused, QueueStats, RetryWaiting
from core.settings import QueueSettings
from core.student import StudentShapeError, tool_schema, validate_conversation
from core.teacher.base import (MAX_RETRY_AFTER_S, Teacher, TeacherOutputError, TeacherRequest, TeacherResult,
                               clean_text, describe_error)
from core.teacher.pricing import CHARS_PER_TOKEN, worst_case_usd
from core.templates import Prompt, Template, TemplateError, render_prompt, template_from_version
from store.database import Database
from store.journal import StoreError
from store.records import Book, Example, Job, JobKind, Passage, StudentShape, now

TOKEN_MARGIN = 1.05  # reservations assume prompts 5% longer than estimated
# Every request also carries its tool: the schema, and the API's own tool-use system prompt (~350 tokens
# when a tool is forced).  Counted as characters so the one tokens-per-character ratio covers it.
TOOL_CHARS = len(json.dumps(tool_schema("continuity"))) + 1400


def request_chars(prompt: Prompt) -> int:
    """Characters a request is priced on: the prompt plus its tool (see TOOL_CHARS)."""
    return prompt.chars + TOOL_CHARS

EventSink = Union[Callable[[QueueEvent], None], "asyncio.Queue[QueueEvent]", None]


@dataclasses.dataclass
class QueueConfig(QueueSettings):
    """The `[queue]` settings of one run, with the command line's overrides applied.

    `budget_usd` caps the project's lifetime spend on the teacher; `run_budget_usd`, when set, also caps
    this run's own spend.
    """

    run_budget_usd: Optional[float] = None

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> "QueueConfig":
        fields = dataclasses.asdict(settings.queue)
        fields.update({name: value for name, value in overrides.items() if value is not None})
        return cls(**fields)


class JobSetupError(Exception):
    """A job that cannot even be rendered (its passage or template version is gone)."""


class RunContext:
    """The shared state and operations of one run (see the module docstring)."""

    def __init__(self, db: Database, teacher: Teacher, templates: list[Template], config: QueueConfig, *,
                 on_example: Optional[Callable[[Example], Any]], on_event: EventSink, batch: bool,
                 rng: random.Random, kinds: Optional[tuple[JobKind, ...]] = None) -> None:
        self.db = db
        self.teacher = teacher
        self.templates = {t.id: t for t in templates}
        self.config = config
        self.on_example = on_example
        self.on_event = on_event
        self.rng = rng
        self.kinds = kinds  # the job kinds this run sends (None: every kind)
        self.backfill_system = ""  # the backfill prompt (set by the queue when it has a project folder)
        self.stats = QueueStats(budget_usd=config.budget_usd, mode="batch" if batch else "live")
        self.price = teacher.price_row(batch=batch)
        self.tokens_per_char = 1.0 / CHARS_PER_TOKEN
        self.tokens_exact = False
        self.budget = Budget(config.budget_usd, stats=self.stats)
        self.resumed = asyncio.Event()
        self.resumed.set()
        self.stopping = False
        self.cancelled = False
        self.not_before = 0.0  # monotonic time before which no request is sent (a retry-after)
        self.unsaved_answers = 0  # answers received whose storing failed (the store refused writes)
        self._templates_at: dict[tuple[str, str], Template] = {}
        self._passages: dict[int, Passage] = {}
        self._books: dict[int, Optional[Book]] = {}

    # -- selection and rendering ---------------------------------------------------------------------
    def pending_jobs(self) -> list[Job]:
        jobs = self.db.jobs.of_teacher(self.teacher.name, "pending")
        if self.kinds is not None:
            jobs = [job for job in jobs if job.kind in self.kinds]
        return jobs

    def refresh_counts(self) -> None:
        self.stats.counts = self.db.jobs.status_counts(self.teacher.name)

    def start_budget(self) -> None:
        """Read the teacher's recorded spend and the caps as they are now (the run is starting)."""
        self.stats.budget_usd = self.config.budget_usd
        self.budget = Budget(self.config.budget_usd, self.db.teacher_spent(self.teacher.name),
                             self.config.run_budget_usd, self.stats)

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

    def shape_for(self, job: Job) -> StudentShape:
        """The student shape a job's answer must have (a backfill: one user turn, see `backfill_shape`)."""
        if job.kind != "backfill":
            return self.template_for(job).student_shape
        template = self._template_of_backfill(job)
        return backfill_shape(template.student_shape if template is not None else "single")

    def _template_of_backfill(self, job: Job) -> Optional[Template]:
        """The template an old example was made with: its version when remembered, else the current one
        (an example older than version tracking), else None (the template is gone)."""
        try:
            return self.template_for(job)
        except (JobSetupError, TemplateError):
            return self.templates.get(job.template_id)

    def prompt_for(self, job: Job) -> tuple[Prompt, Passage]:
        if job.kind == "backfill":
            return self._backfill_prompt_for(job)
        passage = self._passages.get(job.passage_id)
        if passage is None:
            passage = self.db.passages.find(job.passage_id)
            if passage is None:
                raise JobSetupError(f"passage {job.passage_id} was deleted.")
            self._passages[job.passage_id] = passage
        if passage.book_id not in self._books:
            self._books[passage.book_id] = self.db.books.find(passage.book_id)
        return render_prompt(self.template_for(job), passage, self._books[passage.book_id]), passage

    def _backfill_prompt_for(self, job: Job) -> tuple[Prompt, Passage]:
        example = self.db.examples.find(job.example_id)
        if example is None:
            raise JobSetupError(f"example {job.example_id} was deleted; nothing to backfill.")
        passage = self._passages.get(example.passage_id) or self.db.passages.find(example.passage_id)
        if passage is None:  # the passage is gone; the answer still stands on its own
            passage = Passage(id=example.passage_id, book_id=example.book_id)
        return backfill_prompt(self.backfill_system, example.completion, self._template_of_backfill(job)), passage

    def renderable(self, job: Job) -> bool:
        try:
            self.prompt_for(job)
            return True
        except JobSetupError:
            return False

    def request_for(self, job: Job, prompt: Prompt) -> TeacherRequest:
        tool = backfill_tool() if job.kind == "backfill" else tool_schema(self.shape_for(job))
        return TeacherRequest(prompt=prompt, key=job.idempotency_key, tool=tool)

    def worst_case(self, prompt: Prompt) -> float:
        if self.teacher.is_free:
            return 0.0
        tokens = int(request_chars(prompt) * self.tokens_per_char * TOKEN_MARGIN) + 1
        return worst_case_usd(tokens, self.teacher.max_tokens, self.price)

    async def calibrate(self, prompts: list[Prompt], sample_size: int) -> None:
        """Count a few prompts exactly to learn this teacher's tokens per character."""
        if not prompts or self.tokens_exact:
            return
        step = max(1, len(prompts) // sample_size)
        sample = prompts[::step][:sample_size]
        tool = tool_schema("single")  # every request carries a tool of about this size
        counted = await asyncio.gather(*(self.teacher.count_tokens(TeacherRequest(p, tool=tool)) for p in sample))
        if all(c.exact for c in counted):
            chars = sum(request_chars(p) for p in sample)
            self.tokens_per_char = sum(c.tokens for c in counted) / max(chars, 1)
            self.tokens_exact = True

    # -- control -------------------------------------------------------------------------------------
    def pause(self) -> None:
        if self.resumed.is_set():
            self.resumed.clear()
            self.stats.paused = True
            self.emit(QueuePaused(True))

    def resume(self) -> None:
        if not self.resumed.is_set():
            self.resumed.set()
            self.stats.paused = False
            self.emit(QueuePaused(False))

    def stop(self, reason: str, message: str) -> None:
        """No new request is sent; the first reason given is the one reported."""
        if not self.stopping:
            self.stopping = True
            self.stats.stop_reason, self.stats.stop_message = reason, message
        self.resumed.set()  # wake paused workers so they can leave
        self.budget.wake()

    def store_failed(self, exc: StoreError) -> None:
        """The store refused a write (a full disk): stop sending, say so in one sentence."""
        self.stop("store", f"the project database could not be written ({describe_error(exc)}); the run "
                           f"stopped: free some disk space and start it again (stored answers are not re-sent).")

    def emit(self, event: QueueEvent) -> None:
        sink = self.on_event
        if sink is None:
            return
        if isinstance(sink, asyncio.Queue):
            sink.put_nowait(event)
        else:
            sink(event)

    def backoff(self, tries: int, retry_after: Optional[float]) -> float:
        """Full jitter: uniform(0, min(max, base * 2^(tries-1))); a server's retry-after wins when longer.

        Never more than 60 s, whatever the server said (`inf`, `1e12`, a far-future date)."""
        ceiling = min(self.config.backoff_max_s, self.config.backoff_base_s * (2 ** max(0, min(tries, 60) - 1)))
        delay = self.rng.uniform(0.0, max(0.0, ceiling))
        if retry_after is not None and retry_after == retry_after:  # not NaN
            delay = max(delay, retry_after)
        return min(delay, MAX_RETRY_AFTER_S)

    def hold_back(self, seconds: float, reason: str) -> None:
        """A server's retry-after holds back every worker (the limit is the account's); shown as a wait."""
        seconds = min(max(0.0, seconds), MAX_RETRY_AFTER_S)
        until = time.monotonic() + seconds
        if until > self.not_before:
            self.not_before = until
            self.stats.waiting_until, self.stats.wait_reason = until, reason
            self.emit(RetryWaiting(round(seconds, 3), reason))

    async def wait_gate(self) -> None:
        while True:
            wait = self.not_before - time.monotonic()
            if wait <= 0 or self.stopping:
                return
            await asyncio.sleep(min(wait, 0.25))

    async def sleep(self, seconds: float) -> None:
        """Sleep, but leave early when the run stops (a 60 s retry wait must not hold up a stop)."""
        deadline = time.monotonic() + seconds
        while not self.stopping:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(left, 0.25))

    # -- outcomes --------------------------------------------------------------------------------------
    def fail(self, job: Job, reason: str, was: str = "pending", cost: Optional[float] = None,
             usage: Optional[dict[str, int]] = None) -> None:
        """The job failed for `reason`; `cost` is its total recorded cost (None: unchanged)."""
        fields: dict[str, Any] = {"status": "failed", "last_error": reason, "finished_at": now()}
        if cost is not None:
            fields["cost_usd"] = cost
        if usage is not None:
            fields["usage"] = usage
        self.db.jobs.write(job.id, **fields)
        self.stats.move(was, "failed")
        self.stats.failed += 1
        self.stats.note_error(job.id, reason)
        self.emit(JobFailed(job.id, reason))

    def back_to_pending(self, job: Job, cost: float, reason: str = "") -> None:
        """The job was not (or cannot be known to be) answered in this run; the next run sends it."""
        self.db.jobs.write(job.id, status="pending", batch_id="", cost_usd=cost,
                           **({"last_error": reason} if reason else {}))
        self.stats.move("running", "pending")

    def answer_cost(self, result: TeacherResult, prompt: Prompt, worst: float) -> tuple[float, Optional[str]]:
        """What an answer cost, and why its usage cannot be trusted (then the worst case is charged)."""
        if self.teacher.is_free:
            return 0.0, None
        problem = usage_problem(result.usage, self.teacher.max_tokens, request_chars(prompt))
        if problem is not None:
            return worst, problem
        return max(0.0, float(result.cost_usd)), None

    def finish(self, job: Job, prompt: Prompt, passage: Passage, result: TeacherResult, charged_before: float,
               worst: float) -> float:
        """Store an answer as an example (or fail the job with the reason); returns the money charged for it."""
        cost, problem = self.answer_cost(result, prompt, worst)
        total = charged_before + cost
        usage = result.usage.to_dict()
        self.stats.add_usage(usage if problem is None else {}, 0.0)
        if problem is not None:
            self.fail(job, f"{problem}; the answer was not stored and the request is charged at its worst case.",
                      was="running", cost=total)
            return cost
        if job.kind == "backfill":
            return self._finish_backfill(job, prompt, result, total, cost, usage)
        try:
            turns = student_turns(result, self.shape_for(job), self.teacher.max_tokens)
        except (TeacherOutputError, StudentShapeError) as exc:
            self.fail(job, describe_error(exc), was="running", cost=total, usage=usage)
            return cost
        example = dict(
            job_id=job.id, passage_id=job.passage_id, book_id=int(passage.book_id), template_id=job.template_id,
            template_version=job.template_version, teacher=self.teacher.name,
            messages=[{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user},
                      {"role": "assistant", "content": clean_text(raw_answer(result))}],
            student=turns, student_shape=self.shape_for(job), request_hash=request_hash(prompt.system, prompt.user),
            usage=dict(usage), cost_usd=cost)
        example_id = self.db.jobs.finish_with_example(job.id, example, status="done", cost_usd=total, usage=usage,
                                                      last_error="", finished_at=now())
        self._finished(job, example_id, cost, usage)
        return cost

    def _finish_backfill(self, job: Job, prompt: Prompt, result: TeacherResult, total: float, cost: float,
                         usage: dict[str, int]) -> float:
        """Give the job's example its student conversation: the backfilled user turn and the original answer."""
        example = self.db.examples.find(job.example_id)
        try:
            if example is None:
                raise TeacherOutputError(f"example {job.example_id} was deleted before its answer arrived.")
            user_turn = backfill_user_turn(result, self.teacher.max_tokens)
            shape = self.shape_for(job)
            turns = validate_conversation([{"role": "user", "content": user_turn},
                                           {"role": "assistant", "content": example.completion}], shape)
        except (TeacherOutputError, StudentShapeError) as exc:
            self.fail(job, describe_error(exc), was="running", cost=total, usage=usage)
            return cost
        original = example.messages[:2] if len(example.messages) >= 2 else []
        provenance = request_hash(*(m.get("content", "") for m in original)) if original else ""
        self.db.jobs.finish_backfill(job.id, example.id, turns, shape, example.request_hash or provenance,
                                     status="done", cost_usd=total, usage=usage, last_error="", finished_at=now())
        self._finished(job, example.id, cost, usage)
        return cost

    def _finished(self, job: Job, example_id: int, cost: float, usage: dict[str, int]) -> None:
        self.stats.move("running", "done")
        self.stats.done += 1
        self.stats.record_finish()
        self.emit(JobFinished(job.id, example_id, cost, dict(usage)))
        if self.on_example is not None:
            self.call_hook(self.db.examples.get(example_id))

    def call_hook(self, example: Example) -> None:
        if self.on_example is None:
            return
        try:
            self.on_example(example)
        except Exception as exc:  # a flagger bug must not lose the example or stop the queue
            self.stats.note_error(example.job_id, f"the example hook failed: {type(exc).__name__}: {exc}")
