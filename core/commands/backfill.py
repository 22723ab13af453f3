"""`interiority backfill`: give examples made before student conversations existed their user turn.

The teacher reads each such example's answer and writes the natural message it responds to (see
`core.queue.backfill`).  The jobs are queued, estimated and confirmed first, sent under the budget cap,
and resumable like generation: a killed backfill run again sends only what was not answered.
`--dry-run` shows what would be queued and what it would cost, and writes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from core.cli import add_command
from core.commands.generate import ProgressLine, confirm, positive


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = add_command(
        sub, "backfill",
        help="ask the teacher for the user turn each example without a student conversation answers "
             "(those examples are left out of dataset builds until then); re-running skips what is done")
    parser.add_argument("--dry-run", action="store_true", help="show what would be queued and its cost; write nothing")
    parser.add_argument("--concurrency", type=int, metavar="N", help="requests in flight (default: queue.concurrency)")
    parser.add_argument("--batch", action="store_true", help="use Message Batches (cheaper, slower; Anthropic only)")
    parser.add_argument("--budget", type=float, metavar="USD",
                        help="cap on the project's lifetime spend on this teacher (default: queue.budget_usd)")
    parser.add_argument("--run-budget", type=float, metavar="USD", help="also cap what this run spends")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--retry-failed", action="store_true", help="send failed backfill jobs again")
    parser.set_defaults(handler=backfill)


def backfill(args: argparse.Namespace, ctx: Any) -> int:
    from core.queue import build_queue
    from core.queue.backfill import enqueue_backfill, plan_backfill
    from core.teacher import make_teacher

    for name in ("concurrency", "budget", "run_budget"):
        positive(name.replace("_", "-"), getattr(args, name))
    project, db = ctx.project, ctx.db
    teacher = make_teacher(project.settings, project.root)
    if args.retry_failed and not args.dry_run:
        db.jobs.retry_failed(teacher.name, kind="backfill")
    plan = plan_backfill(db, teacher.name)
    if not args.dry_run:
        enqueue_backfill(db, plan)
    progress = ProgressLine(ctx.err)
    queue = build_queue(project, db, batch=args.batch, concurrency=args.concurrency, budget_usd=args.budget,
                        run_budget_usd=args.run_budget, teacher=teacher, kinds=("backfill",),
                        on_event=None if ctx.json else (lambda event: progress.draw(queue.stats)))
    return asyncio.run(_run(queue, args, ctx, plan, progress))


async def _run(queue: Any, args: argparse.Namespace, ctx: Any, plan: Any, progress: ProgressLine) -> int:
    try:
        jobs = queue.pending_jobs() + (plan.jobs if args.dry_run else [])
        if not jobs:
            message = "Nothing to backfill: every example with an answer has a student conversation"
            if plan.failed:
                message += f", except {plan.failed} whose backfill failed; add --retry-failed to send them again"
            if plan.rejected:
                message += f" ({plan.rejected} rejected examples are not backfilled)"
            message += "."
            if ctx.json:
                ctx.print_json({"plan": plan.to_json(), "estimate": None, "summary": None, "message": message})
            else:
                ctx.print(message)
            return 0
        estimate = await queue.estimate(jobs)
        if args.dry_run:
            if ctx.json:
                ctx.print_json({"plan": plan.to_json(), "estimate": estimate.to_json(), "summary": None,
                                "dry_run": True})
            else:
                ctx.print(f"Would backfill {len(jobs)} examples with {queue.teacher.name} (nothing was queued).")
                ctx.print(estimate.describe())
            return 0
        if not ctx.json:
            ctx.print(f"Backfilling {len(jobs)} examples ({len(plan.jobs)} newly queued). "
                      f"Teacher: {queue.teacher.name}.")
            ctx.print(estimate.describe())
        if not args.yes and not confirm():
            ctx.print("Not started; the backfill jobs stay queued.")
            return 1
        summary = await queue.run()
        if ctx.json:
            ctx.print_json({"plan": plan.to_json(), "estimate": estimate.to_json(), "summary": summary.to_json()})
        else:
            progress.draw(queue.stats, force=True)
            progress.end()
            ctx.print(summary.line())
        if queue.stats.stop_reason in ("fatal", "store"):
            ctx.warn(f"interiority: {queue.stats.stop_message}")
            return 2
        return 0
    finally:
        await queue.teacher.aclose()

