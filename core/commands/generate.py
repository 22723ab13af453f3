"""`interiority generate`: queue jobs from tagged passages and run them through the teacher.

Which passages: those not judged "not", with at least one template chosen in the reader's sidebar; only
the chosen templates are used.  `--book` and `--tag` narrow the selection.  The preflight estimate is
shown first and confirmed unless `--yes`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any, Optional, TextIO

from core.cli import add_command
from core.errors import UserError


class GenerateError(UserError):
    """Nothing to generate, or a confirmation that cannot be asked."""


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = add_command(
        sub, "generate",
        help="generate examples: every passage not judged 'not' x the templates chosen on it x N samples "
             "(passages with no template chosen are skipped); re-running skips jobs already queued or done")
    parser.add_argument("--book", type=int, metavar="ID", help="only passages of this book")
    parser.add_argument("--tag", metavar="T", help="only passages with this tag")
    parser.add_argument("--samples", type=int, metavar="N", help="examples per passage x template "
                                                                  "(default: queue.samples)")
    parser.add_argument("--concurrency", type=int, metavar="N", help="requests in flight (default: queue.concurrency)")
    parser.add_argument("--batch", action="store_true", help="use Message Batches (cheaper, slower; Anthropic only)")
    parser.add_argument("--budget", type=float, metavar="USD",
                        help="cap on the project's lifetime spend on this teacher, in-flight worst cases and "
                             "timed-out requests included (default: queue.budget_usd)")
    parser.add_argument("--run-budget", type=float, metavar="USD", help="also cap what this run spends")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--retry-failed", action="store_true", help="put failed jobs back in the queue first")
    parser.set_defaults(handler=generate)


def positive(name: str, value: Optional[float]) -> None:
    if value is not None and value <= 0:
        raise GenerateError(f"--{name} must be greater than 0, got {value}.")


def confirm() -> bool:
    """Ask "Start?" on the terminal; without one, a sentence saying to add --yes."""
    if not sys.stdin.isatty():
        raise GenerateError("Confirmation needed and stdin is not a terminal: add --yes to start.")
    return input("Start? [y/N] ").strip().lower() in ("y", "yes")


class ProgressLine:
    """A one-line progress bar on stderr, redrawn at most 10 times a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.last = 0.0

    def draw(self, stats: Any, force: bool = False) -> None:
        moment = time.monotonic()
        if not force and moment - self.last < 0.1:
            return
        self.last = moment
        total = max(stats.total_jobs, 1)
        finished = stats.done + stats.failed
        width = 30
        filled = int(width * finished / total)
        eta = stats.eta_s()
        eta_text = f"{eta:4.0f}s" if eta is not None else "   ?"
        waiting = stats.waiting_s()
        wait_text = f" waiting {waiting:.0f}s (retry-after)" if waiting >= 1 else ""
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {finished}/{stats.total_jobs} "
                          f"failed {stats.failed} ${stats.spent_usd:.4f} {stats.throughput():.1f}/s ETA {eta_text}"
                          f"{wait_text}")
        self.stream.flush()

    def end(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def generate(args: argparse.Namespace, ctx: Any) -> int:
    from core.queue import build_queue, enqueue_passages, retry_failed
    from core.teacher import make_teacher

    for name in ("samples", "concurrency", "budget", "run_budget"):
        positive(name.replace("_", "-"), getattr(args, name))
    project, db = ctx.project, ctx.db
    teacher = make_teacher(project.settings, project.root)
    added, _ = enqueue_passages(project, db, book_id=args.book, tag=args.tag, samples=args.samples,
                                teacher=teacher.name)
    if args.retry_failed:
        retry_failed(db, teacher.name)
    skipped = added.skipped_sentence()
    if skipped and not ctx.json:  # never silently: the same sentence the Queue screen shows
        ctx.warn(f"interiority: {skipped}")
    for template_id, count in added.unknown_templates.items():
        ctx.warn(f"interiority: {count} passages name the template {template_id!r}, which is not in "
                 f"{project.templates_dir}; they were skipped for it.")
    progress = ProgressLine(ctx.err)
    queue = build_queue(project, db, batch=args.batch, concurrency=args.concurrency, budget_usd=args.budget,
                        run_budget_usd=args.run_budget, teacher=teacher, kinds=("generate",),
                        on_event=None if ctx.json else (lambda event: progress.draw(queue.stats)))
    return asyncio.run(_run(queue, args, ctx, added, progress))


async def _run(queue: Any, args: argparse.Namespace, ctx: Any, added: Any, progress: ProgressLine) -> int:
    try:
        pending = queue.pending_jobs()
        if not pending:
            message = (f"Nothing to generate: {added.existing} jobs already queued or done for these passages. "
                       f"Choose templates on passages in the reader (or check --book/--tag).")
            if ctx.json:
                ctx.print_json({"enqueued": added.to_json(), "estimate": None, "summary": None, "message": message})
            else:
                ctx.print(message)
            return 0
        estimate = await queue.estimate(pending)
        if not ctx.json:
            ctx.print(f"Queued {added.created} new jobs ({added.existing} already known). Teacher: {queue.teacher.name}.")
            ctx.print(estimate.describe())
            budget = queue.config
            ctx.print(f"Budget: ${budget.budget_usd:.2f} for this teacher in this project "
                      f"(${queue.db.teacher_spent(queue.teacher.name):.4f} recorded so far)"
                      + (f", ${budget.run_budget_usd:.2f} for this run." if budget.run_budget_usd else "."))
        if not args.yes and not confirm():
            ctx.print("Not started; the jobs stay queued.")
            return 1
        summary = await queue.run()
        if not ctx.json:
            progress.draw(queue.stats, force=True)
            progress.end()
            ctx.print(summary.line())
        else:
            ctx.print_json({"enqueued": added.to_json(), "estimate": estimate.to_json(), "summary": summary.to_json()})
        if queue.stats.stop_reason in ("fatal", "store"):
            ctx.warn(f"interiority: {queue.stats.stop_message}")
            return 2
        return 0
    finally:
        await queue.teacher.aclose()
