"""Teacher scoring: the teacher rates paragraphs on the local scorer's [0, 1] scale, batched and cached.

Why optional and on top: the local scorer is free, offline and fast, so it stays the default;
a teacher reads like a person and catches what word counts miss (Joyce's dash-led monologue,
irony), so where a person asks for it (`interiority suggest BOOK_ID --teacher`), its rating
becomes one more input to the learner (`core.finder.learner.TEACHER_PRIOR`).

How it spends: paragraphs go out `BATCH_PARAGRAPHS` to a request (one system prompt and rubric
for twenty ratings), each answer is a forced call to `rate_paragraphs` (JSON that fits a schema,
as the teacher's other structured answers), and the cost is estimated before anything is sent.
Each request is recorded before sending at its worst case and settled after
(`store.finder.TeacherScoring`), and the budget cap of `core.queue.budget` bounds the teacher's
lifetime spend in the project -- queue jobs, judging and these ratings together.  Ratings are
cached per (book text version, paragraph, teacher): a paragraph is never paid for twice.
"""

from __future__ import annotations

import asyncio
import math
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

from core.finder.reading import ranked_open
from core.finder.suggestions import BookScores
from core.queue.budget import Budget, usage_problem
from core.teacher.base import Teacher, TeacherFatal, TeacherOutputError, TeacherRequest, TeacherRetryable
from core.teacher.pricing import estimate_tokens, worst_case_usd
from core.templates import Prompt
from store.database import Database
from store.finder import TeacherScoringRepository

BATCH_PARAGRAPHS = 20
MAX_PARAGRAPH_CHARS = 3000  # the opening of a longer paragraph is enough to judge its mode
MAX_ATTEMPTS = 5
TOOL_NAME = "rate_paragraphs"

RUBRIC = """You rate paragraphs of novels for how much INNER LIFE each one renders, on a scale from 0 to 1.

Inner life: the paragraph renders a mind from inside -- thought, feeling, perception or memory as the
character (or narrator) experiences it, including free indirect discourse, interior monologue (also in
fragments, without "he thought"), and a speaker's sustained introspection about their own state.
Not inner life: action, plot, description or history told from outside, dialogue exchanges, argument about
others or ideas, headings, verse, an author's note.  A mixed paragraph is rated by its dominant mode.

Scale: 0.0 none at all (dialogue, action, history); 0.25 a trace (one inner phrase in outward narration);
0.5 evenly mixed; 0.75 mostly inner; 1.0 wholly a mind from inside.  Rate each paragraph on its own."""

INSTRUCTIONS = ("Rate every paragraph below. Call rate_paragraphs once, with one rating per paragraph id, "
                "in any order.\n\n")

SCORING_TOOL: dict[str, Any] = {
    "name": TOOL_NAME,
    "description": "Record how much inner life each paragraph renders, from 0 (none) to 1 (wholly).",
    "input_schema": {
        "type": "object",
        "properties": {
            "ratings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer", "description": "the paragraph's id as given"},
                        "score": {"type": "number", "minimum": 0, "maximum": 1},
                    },
                    "required": ["id", "score"],
                },
            },
        },
        "required": ["ratings"],
    },
}


def paragraph_block(paragraph: int, text: str) -> str:
    body = " ".join(text.split())
    if len(body) > MAX_PARAGRAPH_CHARS:
        body = body[:MAX_PARAGRAPH_CHARS] + " [...]"
    return f'<paragraph id="{paragraph}">\n{body}\n</paragraph>\n'


def scoring_prompt(items: Sequence[tuple[int, str]]) -> Prompt:
    """The request for a batch of `(paragraph index, text)`: rubric and instructions first (cached)."""
    return Prompt((RUBRIC,), (INSTRUCTIONS, "".join(paragraph_block(i, t) for i, t in items)))


def max_tokens_for(count: int) -> int:
    """Room for `count` ratings ({"id": 12345, "score": 0.85} is ~15 tokens) and the call around them."""
    return 64 + 24 * count


def batches(scores: BookScores, paragraphs: Sequence[int]) -> list[list[int]]:
    """The paragraphs in reading order, `BATCH_PARAGRAPHS` to a request."""
    ordered = sorted(set(int(p) for p in paragraphs if 0 <= int(p) < len(scores)))
    return [ordered[i:i + BATCH_PARAGRAPHS] for i in range(0, len(ordered), BATCH_PARAGRAPHS)]


def _items(scores: BookScores, batch: Sequence[int]) -> list[tuple[int, str]]:
    return [(p, scores.text[int(scores.spans[p][0]):int(scores.spans[p][1])]) for p in batch]


def _prompt_tokens(prompt: Prompt) -> int:
    import json

    return estimate_tokens(prompt.chars + len(json.dumps(SCORING_TOOL)))


def parse_ratings(tool_input: Any, expected: Sequence[int]) -> dict[int, float]:
    """The ratings of a `rate_paragraphs` call for the paragraphs asked about, or why there are none.

    The answer is outside input: ids not asked about, non-numbers, NaN, booleans and scores outside
    [0, 1] are left out (a score a hair outside, up to 0.01, is clipped); an answer with no usable
    rating at all is a `TeacherOutputError`.
    """
    wanted = set(int(p) for p in expected)
    entries = tool_input.get("ratings") if isinstance(tool_input, dict) else None
    if not isinstance(entries, list):
        raise TeacherOutputError("the teacher's rating answer has no list of ratings.")
    found: dict[int, float] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        paragraph, score = entry.get("id"), entry.get("score")
        if isinstance(paragraph, bool) or isinstance(score, bool):
            continue
        if isinstance(paragraph, float) and paragraph.is_integer():
            paragraph = int(paragraph)
        if not isinstance(paragraph, int) or paragraph not in wanted:
            continue
        if not isinstance(score, (int, float)) or not math.isfinite(score) or not -0.01 <= score <= 1.01:
            continue
        found[paragraph] = min(1.0, max(0.0, float(score)))
    if not found:
        raise TeacherOutputError("the teacher's answer rated none of the paragraphs asked about.")
    return found


@dataclass(frozen=True)
class ScoringEstimate:
    """What rating some paragraphs would cost: cached ones are free, the rest go out in batches."""

    paragraphs: int  # asked for
    cached: int  # already rated by this teacher for this text version
    requests: int
    prompt_tokens: int
    worst_case_usd: float

    def to_dict(self) -> dict[str, Any]:
        return {"paragraphs": self.paragraphs, "cached": self.cached, "requests": self.requests,
                "prompt_tokens": self.prompt_tokens, "worst_case_usd": round(self.worst_case_usd, 6)}


@dataclass
class ScoringReport:
    sent: int = 0
    rated: int = 0
    spent_usd: float = 0.0
    failed: list[str] = field(default_factory=list)
    stopped: str = ""  # the budget sentence when the cap stopped the run


def repository(db: Database) -> TeacherScoringRepository:
    """The teacher ratings' repository on the project's store (the records live in `store.finder`)."""
    return db.ratings


def cached_ratings(db: Database, scores: BookScores, teacher_name: str) -> dict[int, float]:
    """The ratings `teacher_name` already gave this text version of the book, paragraph -> rating."""
    return repository(db).ratings(scores.version, teacher_name)


def teacher_spent(db: Database, teacher_name: str) -> float:
    """The teacher's recorded lifetime spend in the project: queue jobs, judging and paragraph ratings."""
    return db.teacher_spent(teacher_name)


def to_rate(db: Database, scores: BookScores, paragraphs: Sequence[int], teacher_name: str) -> list[int]:
    """The paragraphs among `paragraphs` this teacher has not rated for this text version."""
    cached = cached_ratings(db, scores, teacher_name)
    return sorted(set(int(p) for p in paragraphs if int(p) not in cached and 0 <= int(p) < len(scores)))


def estimate(db: Database, scores: BookScores, paragraphs: Sequence[int], teacher: Teacher) -> ScoringEstimate:
    """Requests, prompt tokens and the worst-case cost of rating `paragraphs` (cached ones free)."""
    asked = sorted(set(int(p) for p in paragraphs if 0 <= int(p) < len(scores)))
    todo = to_rate(db, scores, asked, teacher.name)
    row = teacher.price_row()
    tokens, worst, requests = 0, 0.0, 0
    for batch in batches(scores, todo):
        prompt_tokens = _prompt_tokens(scoring_prompt(_items(scores, batch)))
        tokens += prompt_tokens
        worst += worst_case_usd(prompt_tokens, max_tokens_for(len(batch)), row)
        requests += 1
    return ScoringEstimate(len(asked), len(asked) - len(todo), requests, tokens, worst)


async def rate(db: Database, scores: BookScores, paragraphs: Sequence[int], teacher: Teacher, budget_usd: float,
               concurrency: int = 4, sleep: Callable[[float], Any] = asyncio.sleep,
               progress: Optional[Callable[[int, int], None]] = None) -> ScoringReport:
    """Rate the paragraphs this teacher has not rated yet, under the budget cap; resumable.

    Each request is recorded at its worst case before it is sent and settled after: rated (real
    cost), failed (its worst case kept when the server may have billed it), or left pending by a
    kill (its worst case stays charged).  Retryable failures back off and retry; a fatal one
    (bad key, unknown model) stops the run and is raised once the requests in flight are settled.
    """
    report = ScoringReport()
    repo = repository(db)
    work = batches(scores, to_rate(db, scores, paragraphs, teacher.name))
    budget = Budget(budget_usd, spent_before_usd=teacher_spent(db, teacher.name))
    row = teacher.price_row()
    gate = asyncio.Semaphore(max(1, concurrency))
    fatal: list[TeacherFatal] = []
    finished = 0

    async def one(batch: list[int]) -> None:
        nonlocal finished
        prompt = scoring_prompt(_items(scores, batch))
        max_tokens = max_tokens_for(len(batch))
        worst = worst_case_usd(_prompt_tokens(prompt), max_tokens, row)
        async with gate:
            if fatal or report.stopped:
                return
            if not budget.take(worst):
                report.stopped = budget.stop_message(worst)
                return
            record = repo.start(scores.book_id, scores.version, teacher.name, batch, worst)
            key = f"finder-{scores.version[:16]}-{batch[0]}-{batch[-1]}-{record.id}"
            request = TeacherRequest(prompt, key=key, max_tokens=max_tokens, tool=SCORING_TOOL)

            def failed(charged: float, reason: str) -> None:
                budget.release(worst)
                budget.charge(charged)
                repo.settle(record, "failed", charged, reason=reason)
                report.spent_usd += charged
                report.failed.append(f"paragraphs {batch[0]}-{batch[-1]}: {reason}")

            for attempt in range(MAX_ATTEMPTS):
                try:
                    result = await teacher.generate(request)
                    break
                except TeacherRetryable as exc:
                    if attempt == MAX_ATTEMPTS - 1:
                        failed(worst if exc.maybe_paid else 0.0, str(exc))
                        return
                    delay = exc.retry_after if exc.retry_after is not None else 0.5 * 2 ** attempt
                    await sleep(delay * (1 + random.random() * 0.25))
                except TeacherOutputError as exc:
                    failed(worst if exc.paid else 0.0, str(exc))
                    return
                except TeacherFatal as exc:
                    failed(0.0, str(exc))
                    fatal.append(exc)
                    return
            report.sent += 1
            problem = usage_problem(result.usage, max_tokens, prompt.chars)
            if problem is not None:
                failed(worst, problem)
                return
            try:
                ratings = parse_ratings(result.tool_input, batch)
            except TeacherOutputError as exc:
                failed(result.cost_usd, str(exc))
                return
            budget.release(worst)
            budget.charge(result.cost_usd)
            repo.settle(record, "done", result.cost_usd, ratings)
            report.spent_usd += result.cost_usd
            report.rated += len(ratings)
        finished += 1
        if progress is not None:
            progress(finished, len(work))

    await asyncio.gather(*(one(batch) for batch in work))
    if fatal:
        raise fatal[0]
    return report


def candidates(scores: BookScores, shown: int, *, everything: bool = False, uncertain: bool = False) -> list[int]:
    """Which paragraphs to ask the teacher about when `shown` suggestions are to be listed.

    Three times as many as shown (at least 30) of the best by the current scores, so that the
    teacher can lift a paragraph the local scorer ranked a little lower into the list; with
    `uncertain`, the least certain as well; with `everything`, every paragraph.  Choose them from
    scores without the teacher's ratings (the local scorer and the verdicts), so that the same
    request on the same verdicts asks for the same paragraphs, and a rerun for nothing new.
    """
    if everything:
        return list(range(len(scores)))
    pool = max(3 * shown, 30)
    chosen = set(ranked_open(scores, pool).tolist())  # indices only: no reasons built (3,000 took 2 s)
    if uncertain:
        chosen |= set(ranked_open(scores, pool, uncertain=True).tolist())
    return sorted(int(p) for p in chosen)
