"""`interiority suggest BOOK_ID`: the finder's ranking of a book's paragraphs from the command line.

With `--teacher`, the configured teacher first rates the paragraphs around the list (after a cost
estimate that is shown and confirmed, unless `--yes`), and its ratings become one more input;
without it, the local scorer and your verdicts alone, offline and free.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any

from core.cli import CommandContext, add_command
from core.errors import UserError

if TYPE_CHECKING:
    from core.finder.teacher_scoring import ScoringEstimate


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = add_command(sub, "suggest", help="rank a book's paragraphs by the inner life they render "
                                         "(local scorer, re-ranked by your verdicts)")
    p.add_argument("book_id", type=int, metavar="BOOK_ID")
    amount = p.add_mutually_exclusive_group()
    amount.add_argument("--top", type=int, default=10, metavar="N", help="show the N best (default 10)")
    amount.add_argument("--all", action="store_true", help="show every paragraph, judged ones included")
    p.add_argument("--uncertain", action="store_true",
                   help="show the paragraphs the finder is least sure of (a verdict on them teaches most)")
    p.add_argument("--teacher", action="store_true",
                   help="have the teacher rate the paragraphs around the list first (costs money; estimate shown)")
    p.add_argument("--yes", action="store_true", help="rate with the teacher without asking after the estimate")
    p.add_argument("--budget", type=float, default=None, metavar="USD",
                   help="the teacher's lifetime budget cap (default queue.budget_usd)")
    p.set_defaults(handler=cmd_suggest)


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise UserError("Confirmation needed and stdin is not a terminal: add --yes to rate with the teacher.")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def estimate_sentence(teacher: str, cost: "ScoringEstimate", budget_usd: float, spent_usd: float) -> str:
    """What rating would cost and what the budget allows, in words, before anything is sent.

    The lifetime budget and what is recorded against it are named
    (as `interiority generate` does), and a worst case past what is left says the cap will stop it.
    """
    if not cost.requests:
        return (f"The teacher {teacher} has already rated all {cost.paragraphs} paragraphs chosen: "
                f"nothing to send, nothing to pay.")
    cached = f" ({cost.cached} more are already rated: free)" if cost.cached else ""
    sentence = (f"The teacher {teacher} would rate {cost.paragraphs - cost.cached} paragraphs{cached} in "
                f"{cost.requests} requests, at most ${cost.worst_case_usd:.4f}. Budget: ${budget_usd:.2f} for this "
                f"teacher in this project (${spent_usd:.4f} recorded so far).")
    if spent_usd + cost.worst_case_usd > budget_usd:
        sentence += (" The budget may stop it before every paragraph is rated: raise it with --budget or "
                     "queue.budget_usd.")
    return sentence


def _rate_with_teacher(args: argparse.Namespace, ctx: CommandContext, finder: Any, book_id: int) -> dict[str, Any]:
    """Estimate, confirm, rate and feed the ratings to the finder; what happened, for the output."""
    from core.finder.teacher_scoring import cached_ratings, candidates, estimate, rate, teacher_spent
    from core.teacher import make_teacher, teacher_problem

    problem = teacher_problem(ctx.settings, ctx.project.root)
    if problem:
        raise UserError(problem)
    scores = finder.book(book_id)
    count = len(scores) if args.all else args.top
    wanted = candidates(scores, count, everything=args.all, uncertain=args.uncertain)
    teacher = make_teacher(ctx.settings, ctx.project.root)
    budget = args.budget if args.budget is not None else float(ctx.settings.queue.budget_usd)

    async def rate_then_close() -> Any:
        # One event loop for the requests and the client's close: its connections belong to that loop.
        try:
            return await rate(ctx.db, scores, wanted, teacher, budget, concurrency=int(ctx.settings.queue.concurrency))
        finally:
            await teacher.aclose()

    cost = estimate(ctx.db, scores, wanted, teacher)
    outcome: dict[str, Any] = {"teacher": teacher.name, "estimate": cost.to_dict()}
    sentence = estimate_sentence(teacher.name, cost, budget, teacher_spent(ctx.db, teacher.name))
    go = bool(cost.requests)
    say = ctx.warn if ctx.json else ctx.print  # stdout stays the list of suggestions with --json
    try:
        if not go:
            say(sentence)
        elif not args.yes:
            if ctx.json:
                raise UserError(f"{sentence} Add --yes to go ahead.")
            ctx.print(sentence)
            go = _confirm("Rate them?")
            outcome["declined"] = not go
            if not go:
                ctx.print("Nothing sent: the list below uses only what the teacher rated before.")
    finally:
        if not go:  # nothing sent: close the client here; else rate_then_close does
            asyncio.run(teacher.aclose())
    if go:
        report = asyncio.run(rate_then_close())
        outcome.update(sent=report.sent, rated=report.rated, spent_usd=round(report.spent_usd, 6),
                       failed=report.failed, stopped=report.stopped)
    finder.set_teacher_ratings(book_id, cached_ratings(ctx.db, scores, teacher.name))
    return outcome


def cmd_suggest(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.finder import open_finder
    from core.library import get_book

    if not args.all and args.top < 1:
        raise UserError(f"--top must be at least 1 (got {args.top}); use --all for every paragraph.")
    if args.budget is not None and args.budget < 0:
        raise UserError(f"--budget must be 0 or more dollars (got {args.budget}).")
    # Without --teacher nothing is written to the store (the feature cache is a file of its own), so
    # the database opens read-only and the command runs beside the studio, where the reader is.
    ctx.read_only = not args.teacher
    book = get_book(ctx.db, args.book_id)
    # The teacher's cached ratings are applied after choosing what to rate: candidates chosen from
    # scores without them are the same on every run, so a rerun asks for nothing new.
    finder = open_finder(ctx.project, ctx.db, [book.id])
    teacher = _rate_with_teacher(args, ctx, finder, book.id) if args.teacher else None
    scores = finder.book(book.id)
    count = len(scores) if args.all else args.top
    if args.uncertain:
        shown = scores.most_uncertain(count)
    else:
        shown = scores.top(count, include_judged=args.all)
    if teacher is not None and teacher.get("sent"):
        # on stderr with --json, so that stdout stays the list of suggestions
        (ctx.warn if ctx.json else ctx.print)(
            f"The teacher rated {teacher['rated']} paragraphs in {teacher['sent']} requests "
            f"for ${teacher['spent_usd']:.4f}.")
    for line in (teacher or {}).get("failed", [])[:5]:
        ctx.warn(f"A rating request failed: {line}")
    if teacher is not None and teacher.get("stopped"):
        ctx.warn(f"Stopped early: {teacher['stopped']}")
    if ctx.json:
        ctx.print_json([s.as_json() for s in shown])
        return 0
    heading = "least certain" if args.uncertain else "best"
    ctx.print(f"{book.title}: {len(shown)} {heading} of {len(scores)} paragraphs "
              f"({scores.strong_remaining()} strong suggestions not yet judged).")
    for s in shown:
        ctx.print(f"{s.score:5.2f}  paragraph {s.paragraph:>5} [{s.start}, {s.end})  {s.preview}")
        ctx.print(f"       {'; '.join(s.reasons)}")
    return 0
