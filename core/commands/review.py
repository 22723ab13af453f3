"""`interiority examples|decide|review-stats|flag|lint`: review from scripts, with the same core as the screen."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.cli import CommandContext, add_command
from core.errors import UserError
from store.database import Database
from store.records import Example

STATUS_CHOICES = ("pending", "accepted", "rejected", "skipped", "flagged")


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = add_command(sub, "examples", help="list generated examples with their flags and review status")
    p.add_argument("--status", choices=STATUS_CHOICES, help="only this status (flagged: any example with flags)")
    p.add_argument("--template", metavar="ID", help="only this template's examples")
    p.set_defaults(handler=cmd_examples)

    p = add_command(sub, "decide", help="record a review decision: accept, reject (with --reason), skip, edit "
                                        "(with --edit-file), or undo")
    p.add_argument("example_id", type=int, metavar="EXAMPLE_ID")
    p.add_argument("action", choices=("accept", "reject", "skip", "edit", "undo"))
    p.add_argument("--reason", default="", metavar="CODE", help="reject reason (see [review] reject_reasons)")
    p.add_argument("--edit-file", metavar="F", help="the reviewer's edit, recorded first (the teacher's original is "
                                                    "kept): a JSON list of turns [{\"role\", \"content\"}, ...] "
                                                    "for the whole student conversation, or plain text that "
                                                    "replaces the last answer")
    p.set_defaults(handler=cmd_decide)

    p = add_command(sub, "review-stats", help="reviewer analytics: accept rates, reject reasons, edits, pace")
    p.set_defaults(handler=cmd_review_stats)

    p = add_command(sub, "flag", help="recompute every example's quality flags from scratch")
    p.set_defaults(handler=cmd_flag)

    p = add_command(sub, "lint", help="run the quality flags over any chat/completions/text/alpaca/ShareGPT JSONL")
    p.add_argument("file", metavar="FILE.jsonl")
    p.add_argument("--template", default="", metavar="ID", help="apply this template's format check to every line")
    p.set_defaults(handler=cmd_lint)


def _example_row(example: Example) -> dict[str, Any]:
    return {"id": example.id, "passage_id": example.passage_id, "template": example.template_id,
            "teacher": example.teacher, "status": example.status, "text": example.final_text,
            "edited": bool(example.edited_text or example.edited_student), "flags": example.flags,
            "student": example.final_student, "student_shape": example.student_shape}


def cmd_examples(args: argparse.Namespace, ctx: CommandContext) -> int:
    db: Database = ctx.db
    rows = [_example_row(example) for example in db.examples.listing(status=args.status, template_id=args.template)]
    if ctx.json:
        ctx.print_json(rows)
        return 0
    for row in rows:
        codes = ",".join(sorted({f.get("code", "") for f in row["flags"]})) or "-"
        snippet = " ".join(row["text"].split())[:70]
        ctx.print(f"{row['id']:>6}  {row['status']:<9} {row['template']:<18} p{row['passage_id']:<5} "
                  f"{codes:<28} {snippet}")
    ctx.print(f"{len(rows)} examples")
    return 0


def cmd_decide(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.review import record_decision

    settings = ctx.project.settings
    if args.action == "reject" and not args.reason:
        raise UserError(f"Give --reason CODE for a reject; one of: {', '.join(settings.review.reject_reasons)}.")
    if args.edit_file and args.action == "undo":
        raise UserError("--edit-file goes with edit, accept, reject or skip, not with undo.")
    if args.action == "edit" and not args.edit_file:
        raise UserError("Give --edit-file F with edit: a JSON list of turns, or plain text for the last answer.")
    edit: Any = None
    if args.edit_file:
        from core.review.edits import parse_edit_file

        path = Path(args.edit_file)
        try:
            edit = parse_edit_file(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"Cannot read the edit file {path} ({exc}); give a UTF-8 text file.") from None
    db: Database = ctx.db
    decisions = []
    with db.transaction():  # the edit and the verdict of one command: both stored, or neither
        if isinstance(edit, list):
            decisions.append(record_decision(db, settings, args.example_id, "edit", edited_student=edit))
        elif isinstance(edit, str):
            decisions.append(record_decision(db, settings, args.example_id, "edit", edited_text=edit))
        if args.action != "edit":
            decisions.append(record_decision(db, settings, args.example_id, args.action, reason=args.reason))
    _decision, status, _edited_text = decisions[-1]
    example = db.examples.get(args.example_id)
    edited = bool(example.edited_text or example.edited_student)
    if ctx.json:
        ctx.print_json({"example_id": args.example_id, "status": status, "edited": bool(edited),
                        "decisions": [{"id": d.id, "action": d.action, "reason": d.reason} for d, _s, _e in decisions]})
    else:
        ctx.print(f"example {args.example_id}: {status}" + (" (edited)" if edited else ""))
    return 0


def cmd_review_stats(args: argparse.Namespace, ctx: CommandContext) -> int:
    """The same figures as the Review screen's analytics panel (one function computes both)."""
    from core.review.stats import format_stats, review_stats

    stats = review_stats(ctx.db)
    if ctx.json:
        ctx.print_json(stats.to_json())
    else:
        ctx.print(format_stats(stats))
    return 0


def cmd_flag(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.quality.flagger import QualityFlagger, load_project_templates, reflag_all

    flagger = QualityFlagger(ctx.project.settings, load_project_templates(ctx.project, ctx.db),
                             authors=[book.author for book in ctx.db.books])
    changed = reflag_all(ctx.db, flagger)
    flagged = ctx.db.examples.flagged_count()
    if ctx.json:
        ctx.print_json({"examples": len(flagger), "flagged": flagged, "changed": changed,
                        "near_duplicate_clusters": flagger.clusters()})
    else:
        ctx.print(f"{len(flagger)} examples checked, {flagged} flagged, {changed} changed")
    return 0


def cmd_lint(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Exit 0 when clean, 1 when a line is flagged or unreadable (so scripts can gate on it)."""
    from core.lint import format_report, lint_file
    from core.quality.flagger import load_project_templates

    project = ctx.project
    report = lint_file(args.file, project.settings, load_project_templates(project), template_id=args.template)
    if ctx.json:
        ctx.print_json(report.to_json())
    else:
        ctx.print(format_report(report))
    return 0 if report.clean else 1
