"""`interiority compare A B` and `interiority probes`: blind comparisons and judging without the studio."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from core.cli import CommandContext, add_command


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = add_command(sub, "compare", help="answer the probes with two models and compare them blind "
                    "(MODEL: base, a run name, or a model/adapters folder)")
    p.add_argument("model_a", metavar="MODEL_A")
    p.add_argument("model_b", metavar="MODEL_B")
    p.add_argument("--judge", choices=("human", "teacher"), default="human",
                   help="human: pair the answers for the studio's Arena screen (default); teacher: judge "
                        "each pair in both orders with the teacher")
    p.add_argument("--probes", action="append", metavar="NAME",
                   help="a probe set in probes/ or held-out:BUILD (repeatable; default inner-life, continuity, "
                        "capability)")
    p.add_argument("--n", type=int, help="compare on a seeded sample of N paired probes")
    p.add_argument("--seed", type=int, default=0, help="decoding seed and the blind order's seed (default 0)")
    p.add_argument("--max-tokens", type=int, default=200, help="tokens per reply (default 200)")
    p.add_argument("--temperature", type=float, default=0.7)
    p.add_argument("--budget", type=float, help="judge budget cap in USD (default: queue.budget_usd)")
    p.add_argument("--yes", action="store_true", help="judge without asking after the cost estimate")
    p.add_argument("--batch", action="store_true",
                   help="with --judge teacher: send the judge's requests as Message Batches (half price, "
                        "answered within 24 hours; the command waits, and a rerun resumes without paying twice)")
    p.set_defaults(handler=cmd_compare)

    p = add_command(sub, "stages", help="a staged build's runs side by side: loss, diversity, capability, win "
                    "rate against the previous stage, and whether the last stage was worth it")
    p.add_argument("build", metavar="BUILD")
    p.set_defaults(handler=cmd_stages)

    p = add_command(sub, "probes", help="list the probe sets in probes/ (created with defaults on first use)")
    p.set_defaults(handler=cmd_probes)


def cmd_probes(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.evaluation.probes import load_probe_set, probe_set_names

    rows = []
    for name in probe_set_names(ctx.project):
        probe_set = load_probe_set(ctx.project, name)
        rows.append({"name": name, "kind": probe_set.kind, "probes": len(probe_set.probes)})
    if args.json:
        ctx.print_json(rows)
    else:
        for row in rows:
            ctx.print(f"{row['name']:<24} {row['kind']:<12} {row['probes']} probes")
    return 0


def _rate_line(label: str, rate: dict[str, Any]) -> str:
    return (f"{label}: A wins {rate['wins']}, ties {rate['ties']}, B wins {rate['losses']} -> A's win rate "
            f"{rate['win_rate']:.0%} (95% interval {rate['low']:.0%}-{rate['high']:.0%}, sign test "
            f"p={rate['p_value']:.3g})")


def cmd_compare(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.errors import UserError
    from core.evaluation.answers import Decoding
    from core.evaluation.compare import compare

    if args.n is not None and args.n < 1:
        raise UserError("--n must be a whole number of probes, 1 or more.")
    if args.max_tokens < 1:
        raise UserError("--max-tokens must be 1 or more.")
    if args.batch and args.judge != "teacher":
        raise UserError("--batch sends the teacher judge's requests as Message Batches; add --judge teacher.")
    decoding = Decoding(max_tokens=args.max_tokens, temperature=args.temperature,
                        top_p=0.95 if args.temperature else 0.0)
    progress = (lambda text: ctx.warn(text)) if not args.json else None
    result = compare(ctx.project, ctx.db, args.model_a, args.model_b, args.probes, args.n, args.seed, decoding,
                     progress=progress)
    if args.judge == "teacher":
        result.judged = _judge(args, ctx, result.comparison)
    report = result.to_dict(ctx.db)
    if args.json:
        ctx.print_json(report)
        return 0
    ctx.print(f"Comparison {report['comparison']}: A = {args.model_a}, B = {args.model_b}; {report['pairs']} "
              f"pairs, {report['model_calls']} model calls ({report['cached_answers']} answers from the cache).")
    for side in ("a", "b"):
        cap = report[f"capability_{side}"]
        if cap:
            change = cap["change_vs_base"]
            ctx.print(f"Capability {side.upper()}: {cap['passed']}/{cap['total']} ({cap['score']:.0%})"
                      + (f", {change:+.0%} vs base" if change is not None else ""))
    if report["human"]:
        ctx.print(_rate_line("Person", report["human"]))
    elif args.judge == "human":
        ctx.print("No verdicts yet: review the pairs blind on the studio's Arena screen.")
    judged = report.get("judge")
    if judged and judged.get("win_rate"):
        ctx.print(_rate_line("Teacher (both orders)", judged["win_rate"]))
        bias = judged.get("position_bias")
        ctx.print(f"Judge position bias: {'n/a' if bias is None else f'{bias:.0%}'}; agreement with the person "
                  f"(kappa): {judged.get('kappa_vs_human')}; spent ${judged.get('spent_usd', 0):.4f}")
        if judged.get("stopped"):
            ctx.print(f"Stopped early: {judged['stopped']}")
    return 0


def _judge(args: argparse.Namespace, ctx: CommandContext, comparison: Any) -> dict[str, Any]:
    from core.errors import UserError
    from core.evaluation.judge import in_batches, judge_comparison, judge_summary
    from core.evaluation.judge import estimate as estimate_cost
    from core.evaluation.judge_batch import batch_client, judge_comparison_batch
    from core.teacher import make_teacher

    teacher = make_teacher(ctx.settings, ctx.project.root)

    async def closing(work: Any) -> Any:
        """Run `work` and close the teacher's client in the same event loop (its connections belong to it)."""
        try:
            return await work
        finally:
            await teacher.aclose()

    started = False  # once the judge runs, `closing` closes the teacher in the judge's own event loop
    try:
        if args.batch:
            batch_client(teacher)  # one sentence now, before any estimate, when batches cannot be used
        cost = estimate_cost(ctx.db, comparison, teacher, batch=args.batch)
        budget = args.budget if args.budget is not None else float(ctx.settings.queue.budget_usd)
        how = "in Message Batches " if args.batch else ""
        if cost.requests and not args.yes and not args.json:
            ctx.warn(f"Judging sends {cost.requests} requests {how}to {teacher.name}, at most "
                     f"${cost.worst_case_usd:.4f}; rerun with --yes to go ahead.")
            return {}
        if cost.requests and not args.yes:
            raise UserError(f"Judging would send {cost.requests} requests {how}(at most "
                            f"${cost.worst_case_usd:.4f}); add --yes to go ahead.")
        waiting = len(in_batches(ctx.db, comparison))
        started = True
        if args.batch:
            if not args.json and (cost.requests or waiting):
                ctx.warn(f"Judging in Message Batches ({cost.requests} to send, {waiting} already in flight); "
                         f"this waits until the batches end. Stopping it leaves them running: the same command "
                         f"collects them later without paying twice.")
            report = asyncio.run(closing(judge_comparison_batch(ctx.db, comparison, teacher, budget,
                                                                poll_s=float(ctx.settings.queue.batch_poll_s))))
        else:
            if waiting and not args.json:
                ctx.warn(f"{waiting} pair-orders wait in a Message Batch and are not sent again; rerun with "
                         f"--batch to collect them.")
            report = asyncio.run(closing(judge_comparison(ctx.db, comparison, teacher, budget,
                                                          concurrency=int(ctx.settings.queue.concurrency))))
    finally:
        if not started:
            asyncio.run(teacher.aclose())
    summary = judge_summary(ctx.db, comparison)
    summary.update(estimate=cost.to_dict(), sent=report.sent, failed=report.failed, stopped=report.stopped,
                   batch=bool(args.batch))
    return summary


def cmd_stages(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.errors import UserError
    from core.evaluation.stages import next_step_cost, stage_table

    rows = stage_table(ctx.project, ctx.db, args.build)
    if not rows:
        raise UserError(f"No finished runs of {args.build!r}'s stages; train them with `interiority train "
                        f"{args.build}/stage-N` first.")
    cost = next_step_cost(ctx.project, ctx.db, args.build)
    if args.json:
        ctx.print_json({"stages": [row.to_dict() for row in rows], "next_step": cost})
        return 0

    def num(value: Any, pattern: str) -> str:
        return "-" if value is None else format(value, pattern)

    ctx.print(f"{'stage':>6} {'run':<28} {'loss':>6} {'dist-2':>6} {'formula':>7} {'capab.':>6}  vs previous")
    for row in rows:
        rate = row.versus_previous
        versus = (f"{rate.rate:.0%} ({rate.low:.0%}-{rate.high:.0%}, {row.judge}) {row.decision}" if rate
                  else row.decision)
        ctx.print(f"{row.stage:>6} {row.run[:28]:<28} {num(row.test_loss, '.3f'):>6} {num(row.diversity, '.2f'):>6} "
                  f"{num(row.formulaic, '.0%'):>7} {num(row.capability, '.0%'):>6}  {versus}")
    if cost:
        ctx.print(cost)
    return 0
