"""The teacher as judge through Message Batches: the same verdicts at the batch discount, resumable.

What is reused, and why this is not `core.queue.batch.BatchRun`: the Batches path itself is the queue's
(`core.teacher.batches.BatchClient` creates, polls, reads and cancels batches with the SDK's errors
translated and results priced at the batch rate; `core.queue.budget.Budget` is the cap).  `BatchRun`
drives `Job` records through a `RunContext` (prompts from passages, examples as results); a judge request
belongs to a pair-order of a comparison instead, and its durable state is the append-only verdict log.
The durability follows the queue's order all the same:

1. each pair-order's worst case at the batch price is reserved and written as a "pending" event with
   `batch_id = "submitting"`, all in one journal line, before the batch is created;
2. the batch id is written on those events as soon as the API returns it;
3. a rerun finds pending events with a real batch id and no verdict after them and polls that batch
   again instead of paying for them twice; "submitting" ones (a kill between create and the id being
   written) are submitted again, their first reservation still charged until a verdict settles it.

Results arrive in any order and are matched to pair-orders by `custom_id` (`judge.order_key`).  Transient
errors and expired entries are submitted again (up to `MAX_ATTEMPTS` rounds); other errors and cancelled
entries fail their pair-order, which a later run may send again.  Unbilled entries return their reservation.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from core.evaluation.judge import (JUDGE_MAX_TOKENS, MAX_ATTEMPTS, PENDING, JudgeError, JudgeReport, PairOrder,
                                   answer_cost, comparison_answers, in_batches, judge_prompt,
                                   order_key, parse_verdict, record_event, remaining_orders,
                                   shown_answers)
from core.queue.budget import Budget
from core.teacher.base import (Teacher, TeacherFatal, TeacherOutputError, TeacherRequest, TeacherRetryable,
                               clean_text, describe_error)
from core.teacher.pricing import estimate_tokens, worst_case_usd
from core.templates import Prompt
from store.comparisons import Comparison, PairVerdict
from store.database import Database
from store.jobs import SUBMITTING

Sleep = Callable[[float], Any]


def batch_client(teacher: Teacher) -> Any:
    """The queue's Batches client for `teacher`, or one sentence saying batches need the Anthropic teacher."""
    from core.teacher.anthropic_teacher import AnthropicTeacher
    from core.teacher.batches import BatchClient

    if not isinstance(teacher, AnthropicTeacher):
        raise JudgeError(f"Judging in batches needs the Anthropic teacher, not {teacher.name}; drop --batch "
                         f"to judge live.")
    return BatchClient(teacher)


@dataclass
class Flight:
    """One batch in flight: its pair-orders by custom_id, what each reserved, and whether an earlier run
    sent it (then its reservation is in the recorded spend rather than this run's reservations)."""

    batch_id: str
    orders: dict[str, PairOrder] = field(default_factory=dict)
    prompts: dict[str, Prompt] = field(default_factory=dict)
    worst: dict[str, float] = field(default_factory=dict)
    resumed: bool = False


class BatchJudge:
    """One batch judging run over one comparison; `run()` once."""

    def __init__(self, db: Database, comparison: Comparison, teacher: Teacher, budget_usd: float,
                 poll_s: float = 30.0, sleep: Sleep = asyncio.sleep,
                 progress: Optional[Callable[[int, int], None]] = None) -> None:
        self.db, self.comparison, self.teacher = db, comparison, teacher
        self.client = batch_client(teacher)
        self.row = teacher.price_row(batch=True)
        self.budget = Budget(budget_usd, spent_before_usd=db.teacher_spent(teacher.name))
        self.poll_s, self.sleep, self.progress = poll_s, sleep, progress
        self.answers = comparison_answers(db, comparison)
        self.report = JudgeReport()
        self.flights: dict[str, Flight] = {}
        self.rounds: Counter[str] = Counter()  # custom_id -> times submitted in this run
        self.given_up: set[str] = set()  # failed for good in this run (a later run may try again)
        self.done = 0
        self.total = 0  # pair-orders this run expects to settle (for progress)
        self.retrying = False  # a transient failure came back: wait a poll interval before sending it again

    # -- what to send -----------------------------------------------------------------------------------
    def _prompt(self, order: PairOrder) -> Prompt:
        first, second = shown_answers(self.comparison, self.answers, order)
        return judge_prompt(first, second)

    def _worst(self, prompt: Prompt) -> float:
        return worst_case_usd(estimate_tokens(prompt.chars), JUDGE_MAX_TOKENS, self.row)

    def resume(self) -> int:
        """Adopt the batches an earlier run left in flight; returns how many pair-orders they hold."""
        for (pair, a_first), event in in_batches(self.db, self.comparison).items():
            if event.teacher != self.teacher.name:
                continue  # sent with another teacher's account: not ours to poll
            order = PairOrder(pair, a_first)
            key = order_key(self.comparison, order)
            flight = self.flights.setdefault(event.batch_id, Flight(event.batch_id, resumed=True))
            flight.orders[key] = order
            flight.prompts[key] = self._prompt(order)
            flight.worst[key] = event.cost_usd
        return sum(len(f.orders) for f in self.flights.values())

    def to_send(self) -> list[PairOrder]:
        flying = {key for flight in self.flights.values() for key in flight.orders}
        return [order for order in remaining_orders(self.db, self.comparison)
                if order_key(self.comparison, order) not in flying | self.given_up
                and self.rounds[order_key(self.comparison, order)] < MAX_ATTEMPTS]

    async def submit(self, orders: list[PairOrder]) -> None:
        """Reserve, record as pending ("submitting") in one journal line, create the batch, record its id."""
        chosen: list[tuple[PairOrder, Prompt, float]] = []
        for order in orders:
            first, second = shown_answers(self.comparison, self.answers, order)
            if first.replies == second.replies:
                record_event(self.db, self.comparison, order, self.teacher.name, "tie", reason="identical answers")
                self.report.skipped_identical += 1
                continue
            prompt = judge_prompt(first, second)
            worst = self._worst(prompt)
            if not self.budget.take(worst):
                self.report.stopped = self.budget.stop_message(worst)
                break
            chosen.append((order, prompt, worst))
        if not chosen:
            return
        events = self.db.comparisons.verdicts.add_many([PairVerdict(
            comparison_id=self.comparison.id, pair=order.pair, judge="teacher", a_left=order.a_first,
            teacher=self.teacher.name, verdict=PENDING, cost_usd=worst, batch_id=SUBMITTING)
            for order, _, worst in chosen])
        requests = [TeacherRequest(prompt, key=order_key(self.comparison, order), max_tokens=JUDGE_MAX_TOKENS)
                    for order, prompt, _ in chosen]
        for order, _, _ in chosen:
            self.rounds[order_key(self.comparison, order)] += 1
        for attempt in range(MAX_ATTEMPTS):
            try:
                batch_id = await self.client.submit(requests)
                break
            except TeacherRetryable as exc:
                if attempt == MAX_ATTEMPTS - 1:
                    self._not_submitted(chosen, describe_error(exc), kept=exc.maybe_paid)
                    return
                await self.sleep(exc.retry_after if exc.retry_after is not None else 0.5 * 2 ** attempt)
            except TeacherFatal as exc:
                self._not_submitted(chosen, describe_error(exc), kept=False)
                raise
        self.db.comparisons.verdicts.update_many([event.id for event in events], batch_id=batch_id)
        flight = self.flights.setdefault(batch_id, Flight(batch_id))
        for order, prompt, worst in chosen:
            key = order_key(self.comparison, order)
            flight.orders[key], flight.prompts[key], flight.worst[key] = order, prompt, worst

    def _not_submitted(self, chosen: list[tuple[PairOrder, Prompt, float]], why: str, kept: bool) -> None:
        """The batch was not created: each pair-order fails (charged its worst case only when the create
        call may have reached the API) and a later run sends it again."""
        for order, _, worst in chosen:
            self.budget.release(worst)
            self.budget.charge(worst if kept else 0.0)
            record_event(self.db, self.comparison, order, self.teacher.name, "failed", worst if kept else 0.0,
                         f"could not submit the batch: {why}"[:200])
            self.report.failed.append(f"pair {order.pair}: could not submit the batch: {why}")
            self.given_up.add(order_key(self.comparison, order))

    # -- what came back ---------------------------------------------------------------------------------
    def _settle(self, flight: Flight, key: str) -> float:
        """Return a pair-order's reservation (from this run's, or from the recorded spend when resumed)."""
        worst = flight.worst.pop(key, 0.0)
        if flight.resumed:
            self.budget.spent_before_usd = max(0.0, self.budget.spent_before_usd - worst)
        else:
            self.budget.release(worst)
        return worst

    def _fail(self, order: PairOrder, why: str, cost: float = 0.0, retry: bool = False, kind: str = "failed") -> None:
        record_event(self.db, self.comparison, order, self.teacher.name, kind, cost, why[:200])
        self.budget.charge(cost)
        if not retry or self.rounds[order_key(self.comparison, order)] >= MAX_ATTEMPTS:
            self.given_up.add(order_key(self.comparison, order))
            self.report.failed.append(f"pair {order.pair}: {why}")
        else:
            self.retrying = True

    async def collect(self, flight: Flight) -> None:
        seen: set[str] = set()
        for outcome in await self.client.results(flight.batch_id):
            key = outcome.custom_id
            order = flight.orders.get(key)
            if order is None or key in seen:
                continue  # not ours, or a repeated line
            seen.add(key)
            worst = self._settle(flight, key)
            if outcome.kind != "succeeded" or outcome.result is None:
                self._fail(order, outcome.error or f"the batch entry ended {outcome.kind}",
                           retry=outcome.retryable and outcome.kind != "canceled")
                continue
            cost, problem = answer_cost(self.teacher, outcome.result, flight.prompts[key], worst)
            self.report.sent += 1
            self.report.spent_usd += cost
            try:
                if problem is not None:
                    raise TeacherOutputError(f"{problem}; charged at its worst case")
                verdict = parse_verdict(clean_text(outcome.result.text))
            except TeacherOutputError as exc:
                self._fail(order, str(exc), cost, kind="unparsed")
                continue
            record_event(self.db, self.comparison, order, self.teacher.name, verdict, cost)
            self.budget.charge(cost)
            self.done += 1
            if self.progress is not None:
                self.progress(self.done, self.total)
        for key, order in flight.orders.items():
            if key not in seen:  # the results lacked it: not billed; send it again rather than lose it
                self._settle(flight, key)
                self._fail(order, "the batch's results did not include this pair-order", retry=True)
        del self.flights[flight.batch_id]

    async def poll_once(self) -> None:
        for flight in list(self.flights.values()):
            status = await self.client.status(flight.batch_id)
            if status.ended:
                await self.collect(flight)

    async def run(self) -> JudgeReport:
        """Submit what is left, poll every batch until it ends, store the verdicts; resumable at any point."""
        self.total = self.resume() + len(self.to_send())
        poll_errors = 0
        while True:
            todo = [] if self.report.stopped else self.to_send()
            if todo:
                await self.submit(todo)
            if not self.flights:
                break
            try:
                await self.poll_once()
                poll_errors = 0
            except TeacherRetryable as exc:
                poll_errors += 1
                if poll_errors >= MAX_ATTEMPTS:
                    self.report.stopped = (f"polling the batch failed ({describe_error(exc)}); run the same "
                                           f"command again to resume polling.")
                    break
            if self.flights or self.retrying:
                self.retrying = False
                await self.sleep(self.poll_s)
        return self.report


async def judge_comparison_batch(db: Database, comparison: Comparison, teacher: Teacher, budget_usd: float,
                                 poll_s: float = 30.0, sleep: Sleep = asyncio.sleep,
                                 progress: Optional[Callable[[int, int], None]] = None) -> JudgeReport:
    """Judge every pair-order of `comparison` without a teacher verdict, in Message Batches (half price).

    Returns when every batch it sent (or found in flight) has ended, or when the budget cap or the API
    stopped it; a rerun after a stop or a kill resumes without paying twice.
    """
    return await BatchJudge(db, comparison, teacher, budget_usd, poll_s, sleep, progress).run()
