"""`interiority suggest BOOK_ID`: the finder's ranking of a book's paragraphs from the command line.

With `--teacher`, the configured teacher first rates the paragraphs around the list (after a cost
estimate that is shown and confirmed, unless `--yes`), and its ratings become one more input;
without it, the local scorer and your verdicts alone, offline and free.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from core.cli import CommandContext, add_command
from core.errors import UserError


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


def _rate_with_teacher(args: argparse.Namespace, ctx: CommandContext, finder: Any, book_id: int) -> dict[str, Any]:
    """Estimate, confirm, rate and feed the ratings to the finder; what happened, for the output."""
    from core.finder.teacher_scoring import cached_ratings, candidates, estimate, rate
    from core.teacher import make_teacher, teacher_problem

    problem = teacher_problem(ctx.settings, ctx.project.root)
    if problem:
        raise UserError(problem)
    scores = finder.book(book_id)
    count = len(scores) if args.all else args.top
    wanted = candidates(scores, count, everything=args.all, uncertain=args.uncertain)
    teacher = make_teacher(ctx.settings, ctx.project.root)

    async def rate_then_close(budget: float) -> Any:
        # One event loop for the requests and the client's close: its connections belong to that loop.
        try:
            return await rate(ctx.db, scores, wanted, teacher, budget, concurrency=int(ctx.settings.queue.concurrency))
        finally:
            await teacher.aclose()

    cost = estimate(ctx.db, scores, wanted, teacher)
    outcome: dict[str, Any] = {"teacher": teacher.name, "estimate": cost.to_dict()}
    sentence = (f"The teacher {teacher.name} would rate {cost.paragraphs - cost.cached} paragraphs "
                f"({cost.cached} already rated) in {cost.requests} requests, at most ${cost.worst_case_usd:.4f}.")
    go = bool(cost.requests)
    try:
        if go and not args.yes:
            if ctx.json:
                raise UserError(f"{sentence} Add --yes to go ahead.")
            ctx.print(sentence)
            go = _confirm("Rate them?")
            outcome["declined"] = not go
    finally:
        if not go:  # nothing sent: close the client here; else rate_then_close does
            asyncio.run(teacher.aclose())
    if go:
        budget = args.budget if args.budget is not None else float(ctx.settings.queue.budget_usd)
        report = asyncio.run(rate_then_close(budget))
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
