"""The Queue screen: enqueue jobs from a book's or a tag's passages, run them, watch cost, ETA and errors.

All the work is `core.queue` (headless).  The queue runs on its own asyncio loop in a thread worker, so the
SDK's per-request CPU never lands on the UI loop; the screen reads the queue's `QueueStats` four times a
second (which coalesces bursts of hundreds of events into a few repaints) and sends pause/resume/cancel to
the queue's loop with `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Label, Select, Static

from tui.screens.base import StudioScreen

ALL = "__all__"


def _money(value: float) -> str:
    return f"${value:,.4f}" if value < 10 else f"${value:,.2f}"


def _duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class QueueScreen(StudioScreen):
    """Generation: jobs by state, throughput, tokens, cost, ETA, cache hits, recent errors."""

    SCREEN_ID = "queue"
    BINDINGS = [
        Binding("e", "enqueue", "Enqueue", id="queue.enqueue"),
        Binding("g", "start", "Start", id="queue.start"),
        Binding("p", "pause", "Pause/resume", id="queue.pause"),
        Binding("x", "cancel", "Cancel", id="queue.cancel"),
        Binding("m", "toggle_mode", "Live/batch", id="queue.mode"),
        Binding("r", "retry_failed", "Retry failed", id="queue.retry_failed"),
    ]
    DEFAULT_CSS = """
    QueueScreen #queue-body { padding: 0 1; }
    QueueScreen #queue-choose { height: auto; }
    QueueScreen #queue-choose Select { width: 40; margin-right: 2; }
    QueueScreen #queue-teacher { margin: 1 0 0 0; }
    QueueScreen #queue-stats { margin: 1 0; height: auto; }
    QueueScreen #queue-errors { height: 1fr; border-top: solid $panel; }
    """

    class Finished(Message):
        """The queue run ended (posted from its thread)."""

        def __init__(self, summary: Any, error: Optional[BaseException] = None) -> None:
            super().__init__()
            self.summary = summary
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.batch_mode = False
        self.queue: Any = None
        self.queue_loop: Optional[asyncio.AbstractEventLoop] = None
        self.last_message = ""
        self.estimate_text = ""

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Vertical(id="queue-body"):
            with Horizontal(id="queue-choose"):
                yield Select([], prompt="All books", id="queue-book", allow_blank=True)
                yield Select([], prompt="Any tag", id="queue-tag", allow_blank=True)
            yield Static(id="queue-teacher")
            yield Static(id="queue-stats")
            yield Label("Recent errors", classes="field-label")
            yield Static(id="queue-errors")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.reload_choices()
        self.refresh_view()
        self.set_interval(0.25, self.refresh_view)

    def on_screen_resume(self) -> None:
        self.reload_choices()
        self.refresh_view()

    def reload_choices(self) -> None:
        db = self.studio.db
        books = [(f"{b.title or 'Untitled'} ({b.author or '?'})", b.id) for b in db.books.all()]
        tags = [(f"{tag} ({count})", tag) for tag, count in db.passages.tag_counts().most_common()]
        book_select = self.query_one("#queue-book", Select)
        tag_select = self.query_one("#queue-tag", Select)
        book_value, tag_value = book_select.value, tag_select.value
        book_select.set_options(books)
        tag_select.set_options(tags)
        if book_value in {v for _, v in books}:
            book_select.value = book_value
        if tag_value in {v for _, v in tags}:
            tag_select.value = tag_value

    # -- state shown ----------------------------------------------------------------------------
    def teacher_problem(self) -> Optional[str]:
        from core.teacher import teacher_problem

        return teacher_problem(self.studio.settings, self.studio.project.root)

    def teacher_name(self) -> str:
        from core.teacher import teacher_name

        return teacher_name(self.studio.settings)

    def job_counts(self) -> dict[str, int]:
        name = self.teacher_name()
        counts: dict[str, int] = {}
        for doc in list(self.studio.db.jobs.table._read_table().values()):
            if doc.get("teacher") == name:
                status = doc.get("status", "pending")
                counts[status] = counts.get(status, 0) + 1
        return counts

    def queue_running(self) -> bool:
        return self.queue is not None and self.queue.stats.running

    def refresh_view(self) -> None:
        problem = self.teacher_problem()
        teacher = self.query_one("#queue-teacher", Static)
        mode = "batch (Message Batches, discounted, slower)" if self.batch_mode else "live"
        if problem:
            teacher.update(Text.assemble(("⚠ ", "bold red"), (problem, "bold")))
        else:
            teacher.update(Text.assemble(("Teacher: ", "bold"), self.teacher_name(), ("   Mode: ", "bold"), mode))
        self.query_one("#queue-stats", Static).update(self.stats_text())
        self.query_one("#queue-errors", Static).update(self.errors_text())

    def stats_text(self) -> Text:
        counts = self.job_counts()
        text = Text()
        text.append("Jobs  ", style="bold")
        text.append("   ".join(f"{state} {counts.get(state, 0)}"
                               for state in ("pending", "running", "done", "failed", "cancelled")))
        text.append("\n")
        queue = self.queue
        if queue is None:
            text.append("Not running. ", style="bold")
            text.append("e: enqueue the passages of the chosen book/tag (templates chosen on each passage) · "
                        "g: start · m: live/batch")
            if self.last_message:
                text.append(f"\n{self.last_message}")
            return text
        s = queue.stats
        state = "paused" if s.paused else ("running" if s.running else f"stopped ({s.stop_reason})")
        text.append(f"Run   {state}   {s.done + s.failed}/{s.total_jobs}   ", style="bold")
        text.append(f"throughput {s.throughput():.2f} jobs/s   ETA {_duration(s.eta_s())}\n")
        prompt_tokens = s.input_tokens + s.cache_read_tokens + s.cache_write_tokens
        text.append(f"Tokens  prompt {prompt_tokens:,} (cache read {s.cache_read_tokens:,}, written "
                    f"{s.cache_write_tokens:,})   output {s.output_tokens:,}   cache hit rate "
                    f"{s.cache_hit_rate():.0%}\n")
        text.append(f"Cost  {_money(s.spent_usd)} so far   estimated total {_money(s.estimated_total_usd)}   "
                    f"budget {_money(s.budget_usd)}   retries {s.retries}")
        if self.estimate_text:
            text.append(f"\n{self.estimate_text}", style="dim")
        if s.stop_message and not s.running:
            text.append(f"\n{s.stop_message}", style="bold" if s.stop_reason not in ("done",) else "")
        return text

    def errors_text(self) -> Text:
        text = Text()
        if self.queue is not None:
            for note in list(self.queue.stats.recent_errors)[-10:]:
                text.append(f"job {note.job_id}: ", style="bold")
                text.append(note.reason + "\n")
        if not text.plain:
            text.append("none", style="dim")
        return text

    # -- actions ---------------------------------------------------------------------------------
    def _selected(self) -> tuple[Optional[int], Optional[str]]:
        book = self.query_one("#queue-book", Select).value
        tag = self.query_one("#queue-tag", Select).value
        return (book if isinstance(book, int) else None), (tag if isinstance(tag, str) else None)

    def action_enqueue(self) -> None:
        from core.errors import UserError
        from core.queue.jobs import enqueue, select_passages
        from core.templates import load_templates

        book_id, tag = self._selected()
        db = self.studio.db
        try:
            templates = load_templates(self.studio.project, db)
        except UserError as exc:
            self.studio.show_error(exc)
            return
        passages = select_passages(db, book_id=book_id, tag=tag)
        result = enqueue(db, passages, templates, self.teacher_name(), self.studio.settings.queue.samples)
        self.last_message = (f"Enqueued {result.created} new jobs from {len(passages)} passages "
                             f"({result.existing} already queued or done).")
        if not passages:
            self.last_message += " No passage qualifies: choose templates on passages in the reader."
        self.notify(self.last_message, title="Queue", markup=False)
        self.refresh_view()

    def action_start(self) -> None:
        if self.queue_running():
            self.notify("The queue is already running.", markup=False)
            return
        problem = self.teacher_problem()
        if problem:
            self.studio.show_error(problem)
            return
        self.run_queue(self.batch_mode)

    def _control(self, method: str) -> None:
        queue, loop = self.queue, self.queue_loop
        if queue is None or loop is None or not queue.stats.running:
            self.notify("The queue is not running; press g to start it.", markup=False)
            return
        loop.call_soon_threadsafe(getattr(queue, method))

    def action_pause(self) -> None:
        if self.queue is not None and self.queue.stats.paused:
            self._control("resume")
        else:
            self._control("pause")

    def action_cancel(self) -> None:
        self._control("cancel")

    def action_toggle_mode(self) -> None:
        if self.queue_running():
            self.notify("Switch between live and batch when the queue is not running.", markup=False)
            return
        self.batch_mode = not self.batch_mode
        self.refresh_view()

    def action_retry_failed(self) -> None:
        name = self.teacher_name()
        db = self.studio.db
        failed = [j.id for j in db.jobs.where(lambda d: d.get("status") == "failed" and d.get("teacher") == name)]
        if failed:
            db.jobs.table.update({"status": "pending", "last_error": ""}, doc_ids=failed)
        self.last_message = f"{len(failed)} failed jobs are pending again."
        self.refresh_view()

    def save_state(self) -> None:
        """The app is closing: abandon the run (its jobs resume next time) so its thread ends at once."""
        queue, loop = self.queue, self.queue_loop
        if queue is not None and loop is not None and queue.stats.running and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(queue.abort)
            except RuntimeError:  # the loop closed meanwhile
                pass

    def on_unmount(self) -> None:
        self.save_state()

    # -- the run -----------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="queue")
    def run_queue(self, batch: bool) -> None:
        from core.queue import GenerationQueue, QueueConfig
        from core.teacher import make_teacher
        from core.templates import load_templates

        app = self.studio
        loop = asyncio.new_event_loop()
        summary, error = None, None
        try:
            templates = load_templates(app.project, app.db)
            teacher = make_teacher(app.settings, app.project.root)
            queue = GenerationQueue(app.db, teacher, templates, QueueConfig.from_settings(app.settings),
                                    batch=batch, on_example=getattr(app, "flag_new_example", None))

            async def run() -> Any:
                self.queue, self.queue_loop = queue, loop
                try:
                    estimate = await queue.estimate()
                    queue.stats.estimated_total_usd = estimate.cost_usd
                    self.estimate_text = (f"Preflight: {estimate.jobs} jobs, expected {_money(estimate.cost_usd)}, "
                                          f"at most {_money(estimate.worst_case_usd)}"
                                          f"{'' if estimate.exact else ' (tokens estimated)'}.")
                    return await queue.run()
                finally:
                    await teacher.aclose()

            summary = loop.run_until_complete(run())
        except BaseException as exc:  # shown as a notification, never a traceback
            error = exc
        finally:
            loop.close()
        self.post_message(self.Finished(summary, error))

    def on_queue_screen_finished(self, message: "QueueScreen.Finished") -> None:
        if message.error is not None:
            self.studio.show_error(message.error)
        elif message.summary is not None:
            self.last_message = message.summary.line()
            severity = "warning" if message.summary.stats.stop_reason in ("fatal", "budget") else "information"
            self.notify(self.last_message, title="Queue", severity=severity, markup=False)
        self.refresh_view()
