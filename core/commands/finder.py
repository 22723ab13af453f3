"""`interiority suggest BOOK_ID`: the finder's ranking of a book's paragraphs from the command line."""

from __future__ import annotations

import argparse

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
    p.set_defaults(handler=cmd_suggest)


def cmd_suggest(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.finder import open_finder
    from core.library import get_book

    if not args.all and args.top < 1:
        raise UserError(f"--top must be at least 1 (got {args.top}); use --all for every paragraph.")
    book = get_book(ctx.db, args.book_id)
    scores = open_finder(ctx.project, ctx.db, [book.id]).book(book.id)
    count = len(scores) if args.all else args.top
    if args.uncertain:
        shown = scores.most_uncertain(count)
    else:
        shown = scores.top(count, include_judged=args.all)
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
