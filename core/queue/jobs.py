"""Jobs for the queue: which passages qualify, the idempotency key, enqueueing, counts, retry-failed, and
recovery after a crash.  The command line and the Queue screen call these same functions.

A job is one passage x one of its chosen templates (at a version) x one sample number x one teacher.  Its
idempotency key hashes exactly those, so enqueueing twice creates nothing new, and a job that is done is
never sent again, whatever happens to the process.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from collections import Counter
from typing import Any, Iterable, Mapping, Optional

from core.templates import Template
from store.database import Database
from store.jobs import SUBMITTING
from store.records import Job, Passage, now

JOB_STATES = ("pending", "running", "done", "failed", "cancelled")


def job_key(passage_id: int, template_id: str, template_version: str, sample: int, teacher: str) -> str:
    """The idempotency key of a job (also its Message Batches `custom_id`: 32 hex characters)."""
    raw = f"{passage_id}\x1f{template_id}\x1f{template_version}\x1f{sample}\x1f{teacher}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def select_passages(db: Database, book_id: Optional[int] = None, tag: Optional[str] = None,
                    passage_ids: Optional[Iterable[int]] = None) -> list[Passage]:
    """Passages to generate from: not judged "not", with at least one chosen template.

    Only the templates chosen on a passage are used (none chosen: the passage is skipped), so that a
    reader's choice of "which templates fit" is what decides the data.
    """
    wanted_ids = {int(i) for i in passage_ids} if passage_ids is not None else None

    def fits(doc: Mapping[str, Any]) -> bool:
        if doc.get("verdict") == "not" or not doc.get("template_ids"):
            return False
        if book_id is not None and int(doc.get("book_id", 0)) != int(book_id):
            return False
        if tag is not None and tag not in (doc.get("tags") or []):
            return False
        return True

    passages = db.passages.where(fits)
    if wanted_ids is not None:
        passages = [p for p in passages if p.id in wanted_ids]
    return sorted(passages, key=lambda p: (p.book_id, p.start, p.id))


NO_TEMPLATE = "no template chosen"
NOT_VALUABLE = "judged not valuable"
UNKNOWN_TEMPLATES = "its templates are not in the templates folder"
SKIP_FIXES = {
    NO_TEMPLATE: "choose templates on them in the reader's sidebar (T)",
    UNKNOWN_TEMPLATES: "choose templates that exist, or restore the template files",
}


@dataclass(frozen=True)
class SkippedPassage:
    """A passage in the chosen book/tag that makes no job, and why (so enqueue never skips silently)."""

    passage_id: int
    book_id: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"passage": self.passage_id, "book": self.book_id, "reason": self.reason}


def skipped_passages(db: Database, book_id: Optional[int] = None, tag: Optional[str] = None) -> list[SkippedPassage]:
    """The passages `select_passages` leaves out of this book/tag, each with its reason."""

    def left_out(doc: Mapping[str, Any]) -> bool:
        if book_id is not None and int(doc.get("book_id", 0)) != int(book_id):
            return False
        if tag is not None and tag not in (doc.get("tags") or []):
            return False
        return doc.get("verdict") == "not" or not doc.get("template_ids")

    passages = sorted(db.passages.where(left_out), key=lambda p: (p.book_id, p.start, p.id))
    return [SkippedPassage(p.id, p.book_id, NOT_VALUABLE if p.verdict == "not" else NO_TEMPLATE) for p in passages]


@dataclass
class EnqueueResult:
    created: int = 0
    existing: int = 0
    revived: int = 0  # cancelled jobs made pending again
    unknown_templates: dict[str, int] = field(default_factory=dict)  # template id -> passages naming it
    job_ids: list[int] = field(default_factory=list)
    skipped: list[SkippedPassage] = field(default_factory=list)  # passages that made no job, with why

    def to_json(self) -> dict[str, Any]:
        return {"created": self.created, "existing": self.existing, "revived": self.revived,
                "unknown_templates": dict(self.unknown_templates),
                "skipped": [s.to_json() for s in self.skipped]}

    def skipped_sentence(self, shown: int = 8) -> str:
        """One sentence per reason naming the skipped passages and the fix ("" when none was skipped)."""
        by_reason: dict[str, list[int]] = {}
        for skip in self.skipped:
            by_reason.setdefault(skip.reason, []).append(skip.passage_id)
        parts = []
        for reason in (NO_TEMPLATE, UNKNOWN_TEMPLATES, NOT_VALUABLE):
            ids = by_reason.get(reason)
            if not ids:
                continue
            named = ", ".join(str(i) for i in ids[:shown])
            if len(ids) > shown:
                named += f" and {len(ids) - shown} more"
            noun = "passage" if len(ids) == 1 else "passages"
            fix = SKIP_FIXES.get(reason)
            parts.append(f"Skipped {len(ids)} {noun} ({named}): {reason}" + (f"; {fix}." if fix else "."))
        return " ".join(parts)

    def summary(self, passages: int) -> str:
        """What the Queue screen and `interiority generate` both say after enqueueing."""
        line = f"Enqueued {self.created} new jobs from {passages} passages ({self.existing} already queued or done)."
        skipped = self.skipped_sentence()
        if skipped:
            line += " " + skipped
        if not passages:
            line += " No passage qualifies: choose templates on passages in the reader."
        return line


def enqueue(db: Database, passages: Iterable[Passage], templates: list[Template], teacher: str,
            samples: int = 1) -> EnqueueResult:
    """Create the missing jobs for passages x their templates x `samples`; existing keys are skipped."""
    by_id = {t.id: t for t in templates}
    result = EnqueueResult()
    existing = db.jobs.keys()
    new_jobs: list[Job] = []
    revive: list[int] = []
    for passage in passages:
        if passage.template_ids and not any(t in by_id for t in passage.template_ids):
            result.skipped.append(SkippedPassage(passage.id, passage.book_id, UNKNOWN_TEMPLATES))
        for template_id in passage.template_ids:
            template = by_id.get(template_id)
            if template is None:
                result.unknown_templates[template_id] = result.unknown_templates.get(template_id, 0) + 1
                continue
            for sample in range(int(samples)):
                key = job_key(passage.id, template.id, template.version, sample, teacher)
                found = existing.get(key)
                if found is not None:
                    result.existing += 1
                    if found[1] == "cancelled":
                        revive.append(found[0])
                    result.job_ids.append(found[0])
                    continue
                existing[key] = (0, "pending")
                new_jobs.append(Job(passage_id=passage.id, template_id=template.id,
                                    template_version=template.version, sample=sample, teacher=teacher,
                                    idempotency_key=key))
    if new_jobs:
        db.jobs.add_many(new_jobs)
        result.created = len(new_jobs)
        result.job_ids.extend(j.id for j in new_jobs)
    if revive:
        result.revived = db.jobs.set_many(revive, status="pending")
    return result


@dataclass
class Recovery:
    reset_to_pending: int = 0
    linked_to_example: int = 0  # killed after the example was written but before the job was marked done
    batch_jobs: int = 0  # still waiting on a submitted batch



def recover(db: Database) -> Recovery:
    """After a crash: `running` jobs go back to pending, unless their example exists or a batch holds them.

    A job's `cost_usd` keeps the worst case reserved for the killed request (it may have been answered and
    billed), so kill-and-resume cycles can never spend past the budget.
    """
    report = Recovery()
    running = db.jobs.running()
    if not running:
        return report
    examples_by_job = db.jobs.examples_by_job()
    to_pending: list[int] = []
    for job in running:
        if job.batch_id and job.batch_id != SUBMITTING:
            report.batch_jobs += 1
            continue
        example_id = examples_by_job.get(job.id)
        if example_id:
            db.jobs.write(job.id, status="done", example_id=example_id, finished_at=now())
            report.linked_to_example += 1
        else:
            to_pending.append(job.id)
    if to_pending:
        report.reset_to_pending = db.jobs.set_many(to_pending, status="pending", batch_id="")
    return report


def retry_failed(db: Database, teacher: str) -> int:
    """Put a teacher's failed jobs back in the queue; returns how many (one journal line)."""
    return db.jobs.retry_failed(teacher)


def job_counts(db: Database, teacher: str) -> dict[str, int]:
    """A teacher's jobs by state, every state present (0 when none)."""
    counts: Counter[str] = db.jobs.status_counts(teacher)
    return {state: counts.get(state, 0) for state in JOB_STATES} | {
        state: n for state, n in counts.items() if state not in JOB_STATES}
