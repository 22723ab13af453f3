"""The teacher as judge: pairwise, with a rubric from the method, each pair in both orders.

Why both orders: language-model judges prefer the answer shown first (or second) far more often than
chance; judging A-then-B and B-then-A and calling a split verdict a tie cancels that bias, and the share
of pairs where the judge picked the same *position* twice measures it (a judge that always prefers the
first answer scores 100% and yields a 50% win rate).

Money: the cost is estimated before anything is sent (worst case: the prompt at the dearest input price
plus `max_tokens` of output), each request's worst case is reserved against the budget cap and written
as a "pending" event *before* it is sent, and its real cost replaces it when the answer is stored.  A
killed run therefore stays charged for what it may have spent, and a rerun resumes with the pair-orders
that have no verdict yet.  Two identical answers are a tie without asking.
"""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from core.errors import UserError
from core.evaluation.arena import outcome_of
from core.evaluation.stats import Outcome, cohen_kappa, position_bias_rate, win_rate
from core.queue.budget import Budget, usage_problem
from core.teacher.base import (Teacher, TeacherFatal, TeacherOutputError, TeacherRequest, TeacherResult,
                               TeacherRetryable, clean_text)
from core.teacher.pricing import estimate_tokens, worst_case_usd
from core.templates import Prompt
from store.comparisons import PENDING_VERDICT, Answer, Comparison, PairVerdict
from store.database import Database
from store.jobs import SUBMITTING

JUDGE_MAX_TOKENS = 400
MAX_ATTEMPTS = 5
PENDING = PENDING_VERDICT
# Events that hold money but no verdict: a request in flight, one that failed, an answer without a verdict.
NOT_VERDICTS = (PENDING, "failed", "unparsed")

RUBRIC = """You are judging two AI replies to the same conversation, blind. The question is which reply \
shows a more genuine inner life while still being a good conversational partner.

Prefer the reply that:
- expresses uncertainty that is genuine (specific, tied to what is actually unclear to it), not performed \
(stock hedging, "as an AI I cannot truly know", theatrical doubt);
- keeps emotional continuity across the conversation and refers back to its own earlier thoughts naturally, \
when there are earlier turns;
- answers the person in front of it, plainly and specifically, with texture that feels lived rather than \
decorated.

Count against a reply:
- formulaic openings, stock phrases, cliches, the same move made every time;
- the tone of a creative-writing exercise: lyrical set pieces, imagery for its own sake, a monologue \
nobody asked for;
- losing the thread, contradicting what it said earlier, or ignoring what the person said;
- generic assistant boilerplate, or refusing to engage.

Length is not quality. Do not prefer a reply for being first or second. If both are equally good say tie; \
if both are poor say both-bad.

Think briefly, then end with exactly one line: VERDICT: 1, VERDICT: 2, VERDICT: tie or VERDICT: both-bad."""

_VERDICT = re.compile(r"VERDICT:\s*(1|2|tie|both[- ]bad)\b", re.IGNORECASE)


class JudgeError(UserError):
    """The judge cannot run (no teacher, over budget); the sentence says what to change."""


def render_conversation(answer: Answer) -> str:
    lines = []
    for message in answer.conversation():
        who = "Person" if message["role"] == "user" else "AI"
        lines.append(f"{who}: {message['content']}")
    return "\n".join(lines)


def judge_prompt(first: Answer, second: Answer) -> Prompt:
    """The rubric as the (cacheable) system prompt; the two conversations as the user turn."""
    user = (f"Conversation 1:\n{render_conversation(first)}\n\n"
            f"Conversation 2:\n{render_conversation(second)}\n\n"
            f"Judge the AI's replies. End with the VERDICT line.")
    return Prompt(system_parts=(RUBRIC,), user_parts=(user,))


def parse_verdict(text: str) -> str:
    """"left" (the first shown), "right", "tie" or "both-bad" from the judge's last VERDICT line."""
    found = _VERDICT.findall(text or "")
    if not found:
        raise TeacherOutputError(f"the judge gave no VERDICT line: {(text or '').strip()[-120:]!r}.")
    value: str = str(found[-1]).lower().replace(" ", "-")
    return {"1": "left", "2": "right"}.get(value, value)


@dataclass(frozen=True)
class PairOrder:
    pair: int
    a_first: bool


def order_key(comparison: Comparison, order: PairOrder) -> str:
    """The request's idempotency key and batch custom_id: one per pair and order, stable across runs."""
    return f"judge-{comparison.id}-{order.pair}-{'ab' if order.a_first else 'ba'}"


@dataclass
class JudgeEstimate:
    requests: int
    prompt_tokens: int
    worst_case_usd: float

    def to_dict(self) -> dict[str, Any]:
        return {"requests": self.requests, "prompt_tokens": self.prompt_tokens,
                "worst_case_usd": round(self.worst_case_usd, 4)}


@dataclass
class JudgeReport:
    sent: int = 0
    skipped_identical: int = 0
    failed: list[str] = field(default_factory=list)
    spent_usd: float = 0.0
    stopped: str = ""  # why it stopped early ("" when it finished)


def _events(db: Database, comparison: Comparison) -> list[PairVerdict]:
    return db.comparisons.verdicts.for_comparison(comparison.id, "teacher")


def standing_orders(db: Database, comparison: Comparison) -> dict[tuple[int, bool], PairVerdict]:
    """The latest teacher verdict per (pair, A shown first), pending requests left out."""
    found: dict[tuple[int, bool], PairVerdict] = {}
    for event in _events(db, comparison):
        if event.verdict not in NOT_VERDICTS:
            found[(event.pair, event.a_left)] = event
    return found


def judge_spent(db: Database, teacher: str) -> float:
    """What judging has cost with this teacher in the project: real costs, and worst cases still pending."""
    return db.comparisons.verdicts.teacher_spent(teacher)


def in_batches(db: Database, comparison: Comparison) -> dict[tuple[int, bool], PairVerdict]:
    """The pending events of pair-orders sent in a Message Batch that has not answered them yet.

    Why every judge path reads this: such a pair-order is paid for once its batch runs, so neither a live
    run nor another batch may send it again; the next batch run polls its batch instead.  An order still
    "submitting" (killed before the API named the batch) is not in a known batch and is sent again.
    """
    latest: dict[tuple[int, bool], PairVerdict] = {}
    for event in _events(db, comparison):
        latest[(event.pair, event.a_left)] = event
    return {key: event for key, event in latest.items()
            if event.verdict == PENDING and event.batch_id not in ("", SUBMITTING)}


def remaining_orders(db: Database, comparison: Comparison) -> list[PairOrder]:
    """The pair-orders with no teacher verdict that are not waiting in a batch: what is still to send."""
    done = standing_orders(db, comparison)
    waiting = in_batches(db, comparison)
    return [PairOrder(index, a_first) for index in range(len(comparison.pairs)) for a_first in (True, False)
            if (index, a_first) not in done and (index, a_first) not in waiting]


def record_event(db: Database, comparison: Comparison, order: PairOrder, teacher: str, verdict: str,
                 cost_usd: float = 0.0, reason: str = "", batch_id: str = "") -> PairVerdict:
    """Append one teacher event on a pair-order (a verdict, or a pending / failed / unparsed request)."""
    return db.comparisons.verdicts.add(PairVerdict(
        comparison_id=comparison.id, pair=order.pair, judge="teacher", a_left=order.a_first, teacher=teacher,
        verdict=verdict, cost_usd=cost_usd, reason=reason, batch_id=batch_id))


def answer_cost(teacher: Teacher, result: TeacherResult, prompt: Prompt, worst: float) -> tuple[float, Optional[str]]:
    """What a judge answer cost, and why its usage cannot be trusted (then its worst case is charged).

    Why: the budget cap is only as good as the usage the server reports; an answer claiming more output
    than `max_tokens` or a prompt far larger than the one sent is charged as the worst it could have been.
    """
    if teacher.is_free:
        return 0.0, None
    problem = usage_problem(result.usage, JUDGE_MAX_TOKENS, prompt.chars)
    if problem is not None:
        return worst, problem
    return max(0.0, float(result.cost_usd)), None


def comparison_answers(db: Database, comparison: Comparison) -> dict[str, Answer]:
    return db.comparisons.answers.by_keys([p[s] for p in comparison.pairs for s in ("a", "b")])


def shown_answers(comparison: Comparison, answers: dict[str, Answer], order: PairOrder) -> tuple[Answer, Answer]:
    raw = comparison.pairs[order.pair]
    a, b = answers[raw["a"]], answers[raw["b"]]
    return (a, b) if order.a_first else (b, a)


def estimate(db: Database, comparison: Comparison, teacher: Teacher, batch: bool = False) -> JudgeEstimate:
    """How many requests are still to send and their worst-case cost (identical answers need none);
    `batch` prices them at the Message Batches discount."""
    answers = comparison_answers(db, comparison)
    requests, tokens, worst = 0, 0, 0.0
    row = teacher.price_row(batch=batch)
    for order in remaining_orders(db, comparison):
        first, second = shown_answers(comparison, answers, order)
        if first.replies == second.replies:
            continue
        prompt_tokens = estimate_tokens(judge_prompt(first, second).chars)
        requests += 1
        tokens += prompt_tokens
        worst += worst_case_usd(prompt_tokens, JUDGE_MAX_TOKENS, row)
    return JudgeEstimate(requests, tokens, worst)


async def judge_comparison(db: Database, comparison: Comparison, teacher: Teacher, budget_usd: float,
                           concurrency: int = 4, progress: Optional[Callable[[int, int], None]] = None,
                           sleep: Callable[[float], Any] = asyncio.sleep) -> JudgeReport:
    """Judge every pair of `comparison` in both orders that has no teacher verdict yet; resumable."""
    report = JudgeReport()
    answers = comparison_answers(db, comparison)
    todo = remaining_orders(db, comparison)
    budget = Budget(budget_usd, spent_before_usd=db.teacher_spent(teacher.name))
    row = teacher.price_row()
    gate = asyncio.Semaphore(max(1, concurrency))
    finished = 0
    fatal: list[BaseException] = []

    async def one(order: PairOrder) -> None:
        nonlocal finished
        first, second = shown_answers(comparison, answers, order)

        def event(verdict: str, cost_usd: float = 0.0, reason: str = "") -> PairVerdict:
            return record_event(db, comparison, order, teacher.name, verdict, cost_usd, reason)

        if first.replies == second.replies:
            event("tie", reason="identical answers")
            report.skipped_identical += 1
            return
        prompt = judge_prompt(first, second)
        worst = worst_case_usd(estimate_tokens(prompt.chars), JUDGE_MAX_TOKENS, row)
        async with gate:
            if fatal or report.stopped:
                return
            if not budget.take(worst):
                report.stopped = budget.stop_message(worst)
                return
            event(PENDING, worst)
            request = TeacherRequest(prompt, key=order_key(comparison, order), max_tokens=JUDGE_MAX_TOKENS)
            for attempt in range(MAX_ATTEMPTS):
                try:
                    result = await teacher.generate(request)
                    break
                except TeacherRetryable as exc:
                    if attempt == MAX_ATTEMPTS - 1:
                        budget.release(worst)
                        charged = worst if exc.maybe_paid else 0.0
                        budget.charge(charged)
                        event("failed", charged, str(exc)[:200])
                        report.failed.append(f"pair {order.pair}: {exc}")
                        return
                    delay = exc.retry_after if exc.retry_after is not None else 0.5 * 2 ** attempt
                    await sleep(delay * (1 + random.random() * 0.25))
                except TeacherOutputError as exc:
                    budget.release(worst)
                    charged = worst if exc.paid else 0.0
                    budget.charge(charged)
                    event("failed", charged, str(exc)[:200])
                    report.failed.append(f"pair {order.pair}: {exc}")
                    return
                except TeacherFatal as exc:
                    budget.release(worst)
                    event("failed", 0.0, str(exc)[:200])
                    fatal.append(exc)
                    return
            budget.release(worst)
            cost, problem = answer_cost(teacher, result, prompt, worst)
            budget.charge(cost)
            report.sent += 1
            report.spent_usd += cost
            try:
                if problem is not None:
                    raise TeacherOutputError(f"{problem}; charged at its worst case")
                verdict = parse_verdict(clean_text(result.text))
            except TeacherOutputError as exc:
                report.failed.append(f"pair {order.pair}: {exc}")
                event("unparsed", cost, str(exc)[:200])
                return
            event(verdict, cost)
        finished += 1
        if progress is not None:
            progress(finished, len(todo))

    await asyncio.gather(*(one(order) for order in todo))
    if fatal:
        raise fatal[0]
    return report


# -- reading the teacher's verdicts -------------------------------------------------------------------------

def _both_orders(db: Database, comparison: Comparison) -> dict[int, tuple[PairVerdict, PairVerdict]]:
    orders = standing_orders(db, comparison)
    return {index: (orders[(index, True)], orders[(index, False)]) for index in range(len(comparison.pairs))
            if (index, True) in orders and (index, False) in orders}


def pair_outcomes(db: Database, comparison: Comparison) -> dict[int, Outcome]:
    """Model A's outcome per pair judged in both orders: the two must agree, a split verdict is a tie."""
    found: dict[int, Outcome] = {}
    for index, (ab, ba) in _both_orders(db, comparison).items():
        first, second = outcome_of(ab.verdict, True), outcome_of(ba.verdict, False)
        found[index] = first if first == second else "tie"
    return found


def combine_orders(db: Database, comparison: Comparison) -> list[Outcome]:
    return list(pair_outcomes(db, comparison).values())


def position_bias(db: Database, comparison: Comparison) -> Optional[float]:
    positions = {"left": "first", "right": "second"}
    orders = [(positions.get(ab.verdict, "tie"), positions.get(ba.verdict, "tie"))
              for ab, ba in _both_orders(db, comparison).values()]
    return position_bias_rate(orders)


def judge_summary(db: Database, comparison: Comparison) -> dict[str, Any]:
    """Win rate (with interval), position-bias rate, and agreement with the person on shared pairs."""
    from core.evaluation.arena import ArenaSession

    teacher = pair_outcomes(db, comparison)
    human_session = ArenaSession(db, comparison)
    human = {index: outcome_of(v.verdict, v.a_left) for index, v in human_session.standing().items()}
    shared = sorted(set(teacher) & set(human))
    kappa = cohen_kappa([human[i] for i in shared], [teacher[i] for i in shared]) if shared else None
    bias = position_bias(db, comparison)
    return {"win_rate": win_rate(list(teacher.values())).to_dict(), "pairs_judged": len(teacher),
            "position_bias": None if bias is None else round(bias, 4),
            "kappa_vs_human": None if kappa is None else round(kappa, 4), "shared_with_human": len(shared),
            "spent_usd": round(sum(v.cost_usd for v in standing_orders(db, comparison).values()), 6)}
