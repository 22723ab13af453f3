"""Reviewer analytics: which template fails how, how much reviewers rewrite, how fast they go.

Everything is computed in one pass over the examples' cached folds and one over the decision log, so
the analytics panel and `interiority review-stats` agree and stay cheap at tens of thousands of events.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from typing import Any

from rapidfuzz.distance import Levenshtein

from core.review import MAX_COUNTED_SECONDS, NOTES_TABLE, VERDICTS, effective_events


def _rate_row(counter: Counter[str]) -> dict[str, Any]:
    accepted, rejected = counter.get("accepted", 0), counter.get("rejected", 0)
    decided = accepted + rejected
    return {"accepted": accepted, "rejected": rejected, "skipped": counter.get("skipped", 0),
            "pending": counter.get("pending", 0), "total": sum(counter.values()),
            "accept_rate": round(accepted / decided, 4) if decided else None}


def review_stats(db: Any) -> dict[str, Any]:
    """Accept rates by template / book / tag / teacher, reject reasons by template, edits, and pace."""
    passages = {p.id: p for p in db.passages}
    titles = {b.id: b.title or f"book {b.id}" for b in db.books}
    by: dict[str, dict[str, Counter[str]]] = {k: defaultdict(Counter) for k in ("template", "book", "tag", "teacher")}
    originals: dict[int, tuple[str, str]] = {}  # id -> (template, original answer) for edited examples
    templates: dict[int, str] = {}
    for key, doc in list(db.examples.table._read_table().items()):
        status = doc.get("status", "pending") or "pending"
        template = doc.get("template_id", "") or "(none)"
        templates[int(key)] = template
        by["template"][template][status] += 1
        book_id = int(doc.get("book_id", 0) or 0)
        by["book"][titles.get(book_id, f"book {book_id}")][status] += 1
        by["teacher"][doc.get("teacher", "") or "(unknown)"][status] += 1
        passage = passages.get(int(doc.get("passage_id", 0) or 0))
        for tag in (passage.tags if passage else []) or ["(untagged)"]:
            by["tag"][tag][status] += 1
        if doc.get("edited_text"):
            original = ""
            for message in reversed(doc.get("messages", [])):
                if message.get("role") == "assistant":
                    original = message.get("content", "")
                    break
            originals[int(key)] = (original, doc["edited_text"])

    events: dict[int, list[dict[str, Any]]] = defaultdict(list)
    sessions: dict[str, list[float]] = defaultdict(list)
    for key, doc in sorted(db.decisions.table._read_table().items(), key=lambda item: int(item[0])):
        events[int(doc.get("example_id", 0))].append(doc)
        if doc.get("action") in VERDICTS:
            sessions[doc.get("session", "") or "(none)"].append(
                min(float(doc.get("seconds", 0.0) or 0.0), MAX_COUNTED_SECONDS))

    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    for example_id, example_events in events.items():
        in_force = effective_events(example_events)
        verdicts = [e for e in in_force if e.get("action") in ("accept", "reject", "skip")]
        if verdicts and verdicts[-1].get("action") == "reject":
            reasons[templates.get(example_id, "(none)")][verdicts[-1].get("reason", "") or "(none)"] += 1

    distances = [Levenshtein.normalized_distance(original, edited) for original, edited in originals.values()]
    per_session = {}
    for session, seconds in sessions.items():
        total = sum(seconds)
        per_session[session] = {"reviews": len(seconds), "seconds": round(total, 1),
                                "per_hour": round(3600.0 * len(seconds) / total, 1) if total > 0 else None}
    all_seconds = sum(sum(s) for s in sessions.values())
    all_reviews = sum(len(s) for s in sessions.values())
    return {
        "accept_rate": {facet: {value: _rate_row(counter) for value, counter in sorted(rows.items())}
                        for facet, rows in by.items()},
        "reject_reasons_by_template": {t: dict(c.most_common()) for t, c in sorted(reasons.items())},
        "edits": {"count": len(distances),
                  "mean_distance": round(statistics.fmean(distances), 4) if distances else None,
                  "median_distance": round(statistics.median(distances), 4) if distances else None},
        "examples_per_hour": round(3600.0 * all_reviews / all_seconds, 1) if all_seconds > 0 else None,
        "sessions": per_session,
        "failure_patterns": [doc.get("text", "") for doc in db.db.table(NOTES_TABLE).all()
                             if doc.get("kind") == "failure_patterns"],
    }


def format_stats(stats: dict[str, Any]) -> str:
    """The analytics as plain text (the CLI and the panel share it)."""
    lines: list[str] = []
    for facet in ("template", "book", "tag", "teacher"):
        rows = stats["accept_rate"][facet]
        if not rows:
            continue
        lines.append(f"Accept rate by {facet}:")
        for value, row in rows.items():
            rate = "–" if row["accept_rate"] is None else f"{100 * row['accept_rate']:.0f}%"
            lines.append(f"  {value:<32} {rate:>5}  ({row['accepted']} accepted, {row['rejected']} rejected, "
                         f"{row['pending']} pending)")
    if stats["reject_reasons_by_template"]:
        lines.append("Reject reasons by template:")
        for template, reasons in stats["reject_reasons_by_template"].items():
            lines.append(f"  {template:<32} " + ", ".join(f"{r} {n}" for r, n in reasons.items()))
    edits = stats["edits"]
    if edits["count"]:
        lines.append(f"Edits: {edits['count']}, mean normalized edit distance {edits['mean_distance']:.3f} "
                     f"(median {edits['median_distance']:.3f})")
    else:
        lines.append("Edits: none")
    pace = stats["examples_per_hour"]
    lines.append(f"Examples per hour: {pace:.0f}" if pace else "Examples per hour: – (no reviews yet)")
    for text in stats["failure_patterns"]:
        lines.append(f"Failure patterns named: {text}")
    return "\n".join(lines)
