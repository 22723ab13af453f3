"""`interiority examples|decide|review-stats|flag|lint`: review from scripts, with the same core as the screen."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Optional

from core.cli import CommandContext, add_command
from core.errors import UserError
from store.database import Database
from store.records import Example

STATUS_CHOICES = ("pending", "accepted", "rejected", "skipped", "flagged")
ACTION_CHOICES = ("accept", "reject", "skip", "edit", "undo")
BULK_CHOICES = ("accept", "reject")  # core.review.bulk.BULK_ACTIONS (not imported: the parser stays light)
BULK_STATUSES = ("pending", "accepted", "rejected", "skipped")
# (facet of core.review.FACETS, metavar, type, help) for `decide --all-matching`: the studio's filters.
BULK_FILTERS: tuple[tuple[str, str, Any, str], ...] = (
    ("status", "S", str, "only examples with this review status"),
    ("template", "ID", str, "only this template's examples"),
    ("book", "ID", int, "only examples of this book"),
    ("tag", "T", str, "only examples of passages with this tag"),
    ("teacher", "NAME", str, "only this teacher's examples"),
    ("flag", "F", str, "only examples with this quality flag (flagged: any flag)"),
)


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = add_command(sub, "examples", help="list generated examples with their flags and review status")
    p.add_argument("--status", choices=STATUS_CHOICES, help="only this status (flagged: any example with flags)")
    p.add_argument("--template", metavar="ID", help="only this template's examples")
    p.set_defaults(handler=cmd_examples)

    p = add_command(sub, "decide", help="record a review decision: `decide ID accept|reject|skip|edit|undo` for "
                                        "one example (reject with --reason, edit with --edit-file); "
                                        "`decide --all-matching accept|reject` for every example the filters "
                                        "and search match (the studio's A / R); `decide undo` undoes the "
                                        "project's latest decision, a bulk action whole (the studio's u)")
    p.add_argument("target", nargs="?", metavar="EXAMPLE_ID", help="the example (omit with --all-matching, and "
                                                                    "for `decide undo`)")
    p.add_argument("action", nargs="?", metavar="ACTION", help="accept, reject, skip, edit or undo")
    p.add_argument("--reason", default="", metavar="CODE", help="reject reason (see [review] reject_reasons)")
    p.add_argument("--all-matching", choices=BULK_CHOICES, metavar="accept|reject",
                   help="decide every example the filters and --search match, as one action that one "
                        "`decide undo` reverts (shows the count and asks first, unless --yes)")
    for facet, meta, kind, text in BULK_FILTERS:
        p.add_argument(f"--{facet}", type=kind, metavar=meta, help=f"with --all-matching: {text}",
                       choices=BULK_STATUSES if facet == "status" else None)
    p.add_argument("--search", default="", metavar="TEXT", help="with --all-matching: only examples whose text "
                                                                 "matches (all words; \"a phrase\"; -word excludes)")
    p.add_argument("--yes", "-y", action="store_true", help="with --all-matching: do not ask for confirmation")
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


def _decide_target(args: argparse.Namespace) -> tuple[Optional[int], str]:
    """(example id or None, action) from the positionals: `ID ACTION`, or `undo` alone (the latest decision)."""
    bulk_only = [f"--{facet}" for facet, *_rest in BULK_FILTERS if getattr(args, facet) is not None]
    bulk_only += ["--search"] * bool(args.search) + ["--yes"] * bool(args.yes)
    if args.all_matching:
        if args.target is not None or args.action is not None or args.edit_file:
            raise UserError("--all-matching decides the examples the filters match: give no EXAMPLE_ID, action "
                            "or --edit-file with it (e.g. `decide --all-matching reject --reason CODE --flag "
                            "cliche`).")
        return None, args.all_matching
    if bulk_only:
        raise UserError(f"{', '.join(bulk_only)} {'go' if len(bulk_only) > 1 else 'goes'} with --all-matching; "
                        f"for one example give "
                        f"`decide EXAMPLE_ID ACTION`.")
    if args.target is None:
        raise UserError("Give `decide EXAMPLE_ID ACTION`, `decide undo` or `decide --all-matching accept|reject`.")
    if args.action is None:
        if args.target == "undo":
            return None, "undo"
        raise UserError(f"Give the action after the example id: decide {args.target} "
                        f"{'|'.join(ACTION_CHOICES)}.")
    if args.action not in ACTION_CHOICES:
        raise UserError(f"Unknown action {args.action!r}; use one of: {', '.join(ACTION_CHOICES)}.")
    try:
        return int(args.target), args.action
    except ValueError:
        raise UserError(f"{args.target!r} is not an example id; `interiority examples` lists them.") from None


def cmd_decide(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.review import record_decision

    example_id, action = _decide_target(args)
    if example_id is None and action == "undo" and (args.reason or args.edit_file):
        raise UserError("`decide undo` takes no --reason or --edit-file: it undoes the latest decision as it was.")
    if example_id is None:
        return _decide_bulk(args, ctx) if args.all_matching else _undo_latest(ctx)
    args.example_id, args.action = example_id, action
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


def _review_session(ctx: CommandContext) -> Any:
    """The review session the studio's Review screen drives, over the whole project (session "cli")."""
    from core.review import ReviewSession

    return ReviewSession(ctx.db, ctx.project.settings, session_id="cli")


def _decide_bulk(args: argparse.Namespace, ctx: CommandContext) -> int:
    """`decide --all-matching`: the studio's bulk accept / reject (the same plan and write, `core.review`)."""
    from core.review import SearchIndex, parse_query

    if args.all_matching == "accept" and args.reason:
        raise UserError("--reason goes with --all-matching reject, not accept.")
    reasons = ctx.project.settings.review.reject_reasons
    if args.all_matching == "reject" and not args.reason:
        raise UserError(f"Give --reason CODE for a bulk reject; one of: {', '.join(reasons)}.")
    session = _review_session(ctx)
    if args.book is not None and args.book not in session.book_titles:
        raise UserError(f"No book with id {args.book}; `interiority books` lists them.")
    session.apply_filters({facet: getattr(args, facet) for facet, *_rest in BULK_FILTERS})
    query = parse_query(args.search)
    if not query.empty:
        session.set_search(query.text, SearchIndex(ctx.db.examples.all()).search(query))
    plan = session.plan_bulk(args.all_matching, args.reason)
    if plan.refused:
        raise UserError(plan.refused)
    question = plan.question(session.book_titles, undo_hint="`interiority decide undo` undoes them all")
    if not args.yes:
        if ctx.json or not sys.stdin.isatty():
            raise UserError(f"{question} Add --yes to go ahead.")
        ctx.print(question)
        if input("Go ahead? [y/N] ").strip().lower() not in ("y", "yes"):
            ctx.print("Nothing was decided.")
            return 1
    result = session.bulk(plan)
    if ctx.json:
        ctx.print_json({"action": plan.action, "reason": plan.reason, "decided": result.count,
                        "listed": plan.listed, "ids": list(plan.ids), "filters": dict(plan.filters),
                        "search": plan.search, "bulk": result.decision.bulk if result.decision else ""})
    else:
        word = "Accepted" if plan.action == "accept" else f"Rejected ({plan.reason})"
        ctx.print(f"{word} {result.count:,} examples; `interiority decide undo` undoes all of them at once.")
    return 0


def _undo_latest(ctx: CommandContext) -> int:
    """`decide undo`: the project's latest decision still in force, a bulk action whole (the studio's u)."""
    session = _review_session(ctx)
    size = session.next_undo_size()
    result = session.undo(show=False)
    if not result.ok:
        raise UserError(f"{result.message.rstrip('.')}: no decision in this project is in force.")
    if ctx.json:
        ctx.print_json({"undone": result.count, "example_id": result.example_id, "status": result.status,
                        "bulk": size > 1, "message": result.message})
    elif size > 1:
        ctx.print(result.message)
    else:
        ctx.print(f"{result.message} It is {result.status} now.")
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
