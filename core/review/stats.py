"""Reviewer analytics: which template fails how, how much reviewers rewrite, how fast they go.

One function, `review_stats`, computes them for the Review screen's analytics panel and for
`interiority review-stats` alike, in one pass over the examples' heads and one over the decision log, so
the two never disagree and stay cheap at tens of thousands of events.  Decisions made with
`interiority decide` count as reviews like the studio's; they carry no reviewer time (a script cannot
know how long someone read), so the pace is computed over the timed ones only and says so.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Optional

from core.review.log import MAX_COUNTED_SECONDS, VERDICTS, effective_events
from core.review.notes import failure_patterns
from store.database import Database
from store.records import Decision

FACETS = ("template", "book", "tag", "teacher")


@dataclass(frozen=True)
class RateRow:
    """Examples of one template / book / tag / teacher by status, and the accept rate among decided ones."""

    accepted: int
    rejected: int
    skipped: int
    pending: int
    total: int
    accept_rate: Optional[float]  # None while nothing is decided

    @classmethod
    def of(cls, counter: Counter[str]) -> "RateRow":
        accepted, rejected = counter.get("accepted", 0), counter.get("rejected", 0)
        decided = accepted + rejected
        return cls(accepted, rejected, counter.get("skipped", 0), counter.get("pending", 0), sum(counter.values()),
                   round(accepted / decided, 4) if decided else None)


@dataclass(frozen=True)
class SessionPace:
    reviews: int  # accept / reject decisions
    timed: int  # of which carry reviewer time (the studio's; `decide` carries none)
    seconds: float
    per_hour: Optional[float]  # over the timed ones; None when none is timed


@dataclass(frozen=True)
class EditStats:
    count: int
    mean_distance: Optional[float]  # normalized Levenshtein distance, original -> edited
    median_distance: Optional[float]


@dataclass(frozen=True)
class ReviewStats:
    accept_rate: dict[str, dict[str, RateRow]]  # facet -> value -> row
    reject_reasons_by_template: dict[str, dict[str, int]]
    edits: EditStats
    reviews: int  # accept / reject decisions in force (not undone), studio and `decide` alike
    timed_reviews: int
    examples_per_hour: Optional[float]  # over the timed reviews
    sessions: dict[str, SessionPace]
    failure_patterns: list[str]
    bulk_reviews: int = 0  # of `reviews`, made by bulk accept / reject (untimed: no card was read one by one)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _pace(reviews: int, seconds: list[float]) -> SessionPace:
    total = sum(seconds)
    return SessionPace(reviews, len(seconds), round(total, 1),
                       round(3600.0 * len(seconds) / total, 1) if total > 0 else None)


def review_stats(db: Database) -> ReviewStats:
    """Accept rates by template / book / tag / teacher, reject reasons by template, edits, and pace."""
    from rapidfuzz.distance import Levenshtein  # only here: importing the review package stays light

    tags = {p.id: list(p.tags) for p in db.passages}
    titles = {b.id: b.title or f"book {b.id}" for b in db.books}
    by: dict[str, dict[str, Counter[str]]] = {facet: defaultdict(Counter) for facet in FACETS}
    templates: dict[int, str] = {}
    for head in db.examples.heads():
        template = head.template_id or "(none)"
        templates[head.id] = template
        by["template"][template][head.status] += 1
        by["book"][titles.get(head.book_id, f"book {head.book_id}")][head.status] += 1
        by["teacher"][head.teacher or "(unknown)"][head.status] += 1
        for tag in tags.get(head.passage_id) or ["(untagged)"]:
            by["tag"][tag][head.status] += 1

    events: dict[int, list[Decision]] = defaultdict(list)
    for decision in db.decisions.in_order():
        events[decision.example_id].append(decision)

    reviews: Counter[str] = Counter()
    timed: dict[str, list[float]] = defaultdict(list)
    bulk = 0
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    for example_id, example_events in events.items():
        in_force = effective_events(example_events)
        for decision in in_force:  # an undone review is no review (as the careful start counts them)
            if decision.action in VERDICTS:
                session = decision.session or "(none)"  # a bulk action counts in its session
                reviews[session] += 1
                bulk += bool(decision.bulk)
                if decision.seconds and decision.seconds > 0 and not decision.bulk:
                    timed[session].append(min(float(decision.seconds), MAX_COUNTED_SECONDS))
        verdicts = [e for e in in_force if e.action in ("accept", "reject", "skip")]
        if verdicts and verdicts[-1].action == "reject":
            reasons[templates.get(example_id, "(none)")][verdicts[-1].reason or "(none)"] += 1

    distances = [Levenshtein.normalized_distance(original, edited) for _id, original, edited in db.examples.edits()]
    all_timed = [s for seconds in timed.values() for s in seconds]
    overall = _pace(sum(reviews.values()), all_timed)
    return ReviewStats(
        accept_rate={facet: {value: RateRow.of(counter) for value, counter in sorted(rows.items())}
                     for facet, rows in by.items()},
        reject_reasons_by_template={t: dict(c.most_common()) for t, c in sorted(reasons.items())},
        edits=EditStats(len(distances), round(statistics.fmean(distances), 4) if distances else None,
                        round(statistics.median(distances), 4) if distances else None),
        reviews=overall.reviews, timed_reviews=overall.timed, examples_per_hour=overall.per_hour,
        sessions={session: _pace(n, timed.get(session, [])) for session, n in sorted(reviews.items())},
        failure_patterns=[note.text for note in failure_patterns(db)],
        bulk_reviews=bulk,
    )


def _untimed(stats: ReviewStats) -> str:
    """Which reviews carry no time and why: bulk actions, and single decisions made with `interiority decide`."""
    decide = stats.reviews - stats.timed_reviews - stats.bulk_reviews
    parts = [f"{decide} made with `interiority decide`"] if decide else []
    parts += [f"{stats.bulk_reviews} made by bulk accept / reject"] if stats.bulk_reviews else []
    return " and ".join(parts)


def _pace_line(stats: ReviewStats) -> str:
    if not stats.reviews:
        return "Examples per hour: – (no reviews yet)"
    if stats.examples_per_hour is None:
        return (f"Examples per hour: – (none of the {stats.reviews} reviews is timed: {_untimed(stats)} carry "
                f"no reviewer time; the Review screen times each card it shows)")
    untimed = _untimed(stats)
    note = f"; {untimed} {'are' if stats.reviews - stats.timed_reviews > 1 else 'is'} not timed" if untimed else ""
    return f"Examples per hour: {stats.examples_per_hour:.0f} (over {stats.timed_reviews} timed reviews{note})"


def format_stats(stats: ReviewStats) -> str:
    """The analytics as plain text (the CLI and the panel share it)."""
    lines: list[str] = []
    for facet in FACETS:
        rows = stats.accept_rate[facet]
        if not rows:
            continue
        lines.append(f"Accept rate by {facet}:")
        for value, row in rows.items():
            rate = "–" if row.accept_rate is None else f"{100 * row.accept_rate:.0f}%"
            lines.append(f"  {value:<32} {rate:>5}  ({row.accepted} accepted, {row.rejected} rejected, "
                         f"{row.pending} pending)")
    if stats.reject_reasons_by_template:
        lines.append("Reject reasons by template:")
        for template, reasons in stats.reject_reasons_by_template.items():
            lines.append(f"  {template:<32} " + ", ".join(f"{r} {n}" for r, n in reasons.items()))
    edits = stats.edits
    if edits.count and edits.mean_distance is not None and edits.median_distance is not None:
        lines.append(f"Edits: {edits.count}, mean normalized edit distance {edits.mean_distance:.3f} "
                     f"(median {edits.median_distance:.3f})")
    else:
        lines.append("Edits: none")
    sessions = len(stats.sessions)
    lines.append(f"Reviews: {stats.reviews} accept/reject decisions in {sessions} "
                 f"session{'s' if sessions != 1 else ''}")
    lines.append(_pace_line(stats))
    for text in stats.failure_patterns:
        lines.append(f"Failure patterns named: {text}")
    return "\n".join(lines)


def review_report(db: Database) -> str:
    """The analytics of the project as text: what `interiority review-stats` prints and the panel shows."""
    return format_stats(review_stats(db))
