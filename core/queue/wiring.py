"""Building a run from a project: the one place `interiority generate` and the Queue screen both call.

Before this module each of them loaded templates, made the teacher, applied the settings and enqueued
passages in its own way; now both get the same queue for the same project and settings.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from core.queue.backfill import load_backfill_system
from core.queue.context import EventSink, QueueConfig
from core.queue.jobs import EnqueueResult, enqueue, select_passages, skipped_passages
from core.queue.service import GenerationQueue
from core.teacher import make_teacher, teacher_name
from core.teacher.base import Teacher
from core.templates import load_templates
from store.database import Database
from store.records import Example, JobKind


def enqueue_passages(project: Any, db: Database, *, book_id: Optional[int] = None, tag: Optional[str] = None,
                     samples: Optional[int] = None, teacher: Optional[str] = None) -> tuple[EnqueueResult, int]:
    """Queue the missing jobs of the qualifying passages (see `select_passages`) for the configured teacher.

    Returns the enqueue result and how many passages qualified.  The passages of this book/tag that
    made no job are in `result.skipped` with their reason, and `result.summary(passages)` says so.
    """
    settings = project.settings
    templates = load_templates(project, db)
    passages = select_passages(db, book_id=book_id, tag=tag)
    result = enqueue(db, passages, templates, teacher or teacher_name(settings), samples or settings.queue.samples)
    result.skipped = skipped_passages(db, book_id=book_id, tag=tag) + result.skipped
    return result, len(passages)


def build_queue(project: Any, db: Database, *, batch: bool = False, concurrency: Optional[int] = None,
                budget_usd: Optional[float] = None, run_budget_usd: Optional[float] = None,
                teacher: Optional[Teacher] = None, on_example: Optional[Callable[[Example], Any]] = None,
                on_event: EventSink = None, kinds: Optional[tuple[JobKind, ...]] = None) -> GenerationQueue:
    """A queue over the project's pending jobs for its configured teacher.

    Args:
        project: the open `core.project.Project` (its settings, templates and root).
        db: the project's database.
        batch: Message Batches instead of live requests.
        concurrency, budget_usd, run_budget_usd: overrides of the `[queue]` settings for this run.
        teacher: a teacher already made (default: the one the settings name).
        on_example: the hook for each stored example (default: live quality flags).
        on_event: where the queue's events go.
        kinds: only these job kinds ("generate", "backfill"); None runs every pending job.
    """
    settings = project.settings
    templates = load_templates(project, db)
    if teacher is None:
        teacher = make_teacher(settings, project.root)
    config = QueueConfig.from_settings(settings, concurrency=concurrency, budget_usd=budget_usd,
                                       run_budget_usd=run_budget_usd)
    if on_example is None:
        from core.quality.live import LiveFlagger

        on_example = LiveFlagger(project, db)
    return GenerationQueue(db, teacher, templates, config, batch=batch, on_example=on_example, on_event=on_event,
                           kinds=kinds, backfill_system=load_backfill_system(project.templates_dir))
