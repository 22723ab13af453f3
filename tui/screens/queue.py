"""The Queue screen: enqueue jobs from a book's or a tag's passages, run them, watch cost, ETA and errors.

All the work is `core.queue` (headless), built by `core.queue.build_queue` exactly as `interiority generate`
builds it.  The queue runs on its own asyncio loop in a thread worker, so the SDK's per-request CPU never
lands on the UI loop.  It reports through a `core.queue.SnapshotSink`: bursts of events become at most ten
immutable `RunSnapshot`s a second, each posted as a `QueueScreen.Progress` message that replaces any
still-unprocessed older one (Textual's `can_replace`), so the screen never reads the queue's changing
state across threads and repaints only when something changed.  Pause, resume and cancel go to the
queue's loop with `call_soon_threadsafe`.

Measured against the former polling (a 0.25 s timer reading the shared stats and counting every job) by
`python -m tests.benchmarks.bench_queue_screen` (640 jobs, 32 in flight, best of two, shared 2-core box):
messages repaint 8.8 times a second during a run (polling 4.3) for the same CPU per job (7.5 vs 7.8 ms,
the SDK and store dominate), and nothing once the run has ended (polling: 4 repaints and ~35 ms of CPU a
second, forever).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Optional
from urllib.parse import urlsplit

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Label, Select, Static

from core.queue.events import RunSnapshot
from tui.screens.base import StudioScreen

ALL = "__all__"
SETTINGS_CHECK_S = 2.0
JOB_STATES = ("pending", "running", "done", "failed", "cancelled")


def _money(value: float) -> str:
    return f"${value:,.4f}" if value < 10 else f"${value:,.2f}"


def teacher_endpoint(settings: Any) -> str:
    """Where the configured teacher's requests go: the API host, or the local model folder."""
    teacher = settings.teacher
    if teacher.provider == "mlx":
        return f"local model {teacher.local_model or '(none set)'}"
    url = teacher.base_url or os.environ.get("ANTHROPIC_BASE_URL") or "https://api.anthropic.com"
    return urlsplit(url).netloc or url


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
        Binding("b", "backfill", "Backfill", id="queue.backfill"),
        Binding("R", "reload_settings", "Reload settings", id="queue.reload_settings",
                tooltip="Read the teacher, queue and prices settings again from interiority.toml"),
    ]
    DEFAULT_CSS = """
    QueueScreen #queue-body { padding: 0 1; }
    QueueScreen #queue-choose { height: auto; }
    QueueScreen #queue-choose Select { width: 40; margin-right: 2; }
    QueueScreen #queue-teacher { margin: 1 0 0 0; }
    QueueScreen #queue-stats { margin: 1 0; height: auto; }
    QueueScreen #queue-errors { height: 1fr; border-top: solid $panel; }
    """

    class Progress(Message):
        """The run's state (posted from the queue's thread); a newer one replaces an unprocessed older one."""

        def __init__(self, snapshot: RunSnapshot) -> None:
            super().__init__()
            self.snapshot = snapshot

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, QueueScreen.Progress)

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
        self.snapshot: Optional[RunSnapshot] = None  # the last state the run reported
        self.run_active = False  # from the start key until the run's Finished message
        self.repaints = 0  # stats repaints (the benchmark counts them)
        self.last_message = ""
        self.estimate_text = ""
        # The settings file as last checked, and what to say about it (changed on disk, or unusable).
        self.settings_stamp: Optional[tuple[int, int, int]] = None
        self.settings_checked = False
        self.settings_notice = ""

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
        self.check_settings()
        self.refresh_view()
        # A stat every two seconds; the file is read only when its stamp changes.
        self.set_interval(SETTINGS_CHECK_S, self._check_settings_tick)

    def on_screen_resume(self) -> None:
        self.reload_choices()
        self.check_settings()
        self.refresh_view()

    # -- settings edited on disk ---------------------------------------------------------------
    def _check_settings_tick(self) -> None:
        if self.check_settings():
            self.refresh_view()

    def check_settings(self) -> bool:
        """Compare interiority.toml with the settings the studio runs on; True when the notice changed.

        Why: the studio reads the file once, so an edited teacher did nothing and said nothing.
        """
        from core.errors import SettingsError
        from core.settings import changed_sections, load_settings, settings_stamp

        settings = self.studio.settings
        stamp = settings_stamp(settings.source)
        if self.settings_checked and stamp == self.settings_stamp:
            return False
        self.settings_stamp, self.settings_checked = stamp, True
        before = self.settings_notice
        name = settings.source.name if settings.source is not None else "interiority.toml"
        try:
            fresh = load_settings(settings.source) if settings.source is not None else settings
        except SettingsError as exc:
            self.settings_notice = (f"{name} changed on disk but cannot be used: {exc} The studio keeps the "
                                    f"settings it loaded.")
        else:
            changed = changed_sections(settings, fresh)
            self.settings_notice = (f"{name} changed since the studio loaded it ({', '.join(changed)}): "
                                    f"R reloads it." if changed else "")
        return self.settings_notice != before

    def action_reload_settings(self) -> None:
        """Re-read interiority.toml's teacher, queue and prices; a bad file keeps the old settings."""
        from core.errors import SettingsError
        from core.settings import reload_sections

        if self.queue_running():
            self.notify("Reload the settings when the queue is not running (x cancels it).", markup=False)
            return
        try:
            changed = reload_sections(self.studio.settings)
        except SettingsError as exc:
            self.studio.show_error(f"{exc} The studio keeps the settings it loaded.")
            self.settings_checked = False
            self.check_settings()
            self.refresh_view()
            return
        self.settings_checked = False
        self.check_settings()
        self.last_message = (f"Reloaded {', '.join(changed)} from the settings file: the teacher is "
                             f"{self.teacher_name()} at {teacher_endpoint(self.studio.settings)}."
                             if changed else "The settings file holds what the studio already uses.")
        self.notify(self.last_message, title="Queue", markup=False)
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
        from core.queue.jobs import job_counts

        return job_counts(self.studio.db, self.teacher_name())

    def queue_running(self) -> bool:
        return self.run_active

    def on_queue_screen_progress(self, message: "QueueScreen.Progress") -> None:
        self.snapshot = message.snapshot
        self.refresh_stats()

    def refresh_view(self) -> None:
        problem = self.teacher_problem()
        teacher = self.query_one("#queue-teacher", Static)
        mode = "batch (Message Batches, discounted, slower)" if self.batch_mode else "live"
        if problem:
            line = Text.assemble(("⚠ ", "bold red"), (problem, "bold"))
        else:
            line = Text.assemble(("Teacher: ", "bold"), self.teacher_name(),
                                 ("   Endpoint: ", "bold"), teacher_endpoint(self.studio.settings),
                                 ("   Mode: ", "bold"), mode)
        if self.settings_notice:
            line.append("\n")
            line.append("⚠ ", style="bold yellow")
            line.append(self.settings_notice, style="bold")
        teacher.update(line)
        self.refresh_stats()

    def refresh_stats(self) -> None:
        self.repaints += 1
        self.query_one("#queue-stats", Static).update(self.stats_text())
        self.query_one("#queue-errors", Static).update(self.errors_text())

    def stats_text(self) -> Text:
        s = self.snapshot
        counts = s.counts if s is not None and s.running else self.job_counts()
        text = Text()
        text.append("Jobs  ", style="bold")
        text.append("   ".join(f"{state} {counts.get(state, 0)}" for state in JOB_STATES))
        text.append("\n")
        if s is None and self.run_active:  # build_queue and the preflight take a second or more
            text.append("Run   starting: ", style="bold yellow")
            text.append(f"connecting to {teacher_endpoint(self.studio.settings)} and estimating the cost...")
            return text
        if s is None:
            text.append("Not running. ", style="bold")
            text.append("e: enqueue the passages of the chosen book/tag (templates chosen on each passage) · "
                        "g: start · m: live/batch")
            missing = self.studio.db.jobs.count_without_student()
            if missing:
                text.append(f"\n{missing} examples have no student conversation and are left out of builds: "
                            f"b queues their backfill (the teacher writes the user turn each answer responds to).")
            if self.last_message:
                text.append(f"\n{self.last_message}")
            return text
        state = "paused" if s.paused else ("running" if s.running else f"stopped ({s.stop_reason})")
        text.append(f"Run   {state}   {s.done + s.failed}/{s.total_jobs}   ", style="bold")
        rate = "throughput" if s.running else "final throughput"
        text.append(f"{rate} {s.throughput:.2f} jobs/s   ETA {_duration(s.eta_s if s.running else 0)}")
        if s.running and s.waiting_s >= 0.5:
            text.append(f"   waiting {s.waiting_s:.0f}s: {s.wait_reason}", style="bold yellow")
        text.append("\n")
        text.append(f"Tokens  prompt {s.prompt_tokens:,} (cache read {s.cache_read_tokens:,}, written "
                    f"{s.cache_write_tokens:,})   output {s.output_tokens:,}   cache hit rate "
                    f"{s.cache_hit_rate:.0%}\n")
        text.append(f"Cost  {_money(s.spent_usd)} so far   estimated total {_money(s.estimated_total_usd)}   "
                    f"budget {_money(s.budget_usd)}   retries {s.retries}")
        if self.estimate_text:
            text.append(f"\n{self.estimate_text}", style="dim")
        if s.stop_message and not s.running:
            text.append(f"\n{s.stop_message}", style="bold" if s.stop_reason not in ("done",) else "")
        if self.last_message and not s.running:
            text.append(f"\n{self.last_message}")
        return text

    def errors_text(self) -> Text:
        text = Text()
        if self.snapshot is not None:
            for job_id, reason in self.snapshot.recent_errors:
                text.append(f"job {job_id}: ", style="bold")
                text.append(reason + "\n")
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
        from core.queue.wiring import enqueue_passages

        book_id, tag = self._selected()
        try:
            result, passages = enqueue_passages(self.studio.project, self.studio.db, book_id=book_id, tag=tag,
                                                teacher=self.teacher_name())
        except UserError as exc:
            self.studio.show_error(exc)
            return
        self.last_message = result.summary(passages)  # the same sentence `interiority generate` prints
        self.notify(self.last_message, title="Queue", markup=False,
                    severity="warning" if result.skipped_sentence() else "information")
        self.refresh_view()

    def action_start(self) -> None:
        if self.queue_running():
            self.notify("The queue is already running.", markup=False)
            return
        problem = self.teacher_problem()
        if problem:
            self.studio.show_error(problem)
            return
        self.run_active = True
        self.queue, self.queue_loop, self.snapshot = None, None, None
        self.estimate_text = ""
        self.refresh_stats()  # "starting" at once: the first report comes a second or more later
        self.run_queue(self.batch_mode)

    def _control(self, method: str) -> None:
        queue, loop = self.queue, self.queue_loop
        if queue is None or loop is None or not self.queue_running():
            self.notify("The queue is not running; press g to start it.", markup=False)
            return
        loop.call_soon_threadsafe(getattr(queue, method))

    def action_pause(self) -> None:
        if self.snapshot is not None and self.snapshot.paused:
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
        from core.queue.jobs import retry_failed

        count = retry_failed(self.studio.db, self.teacher_name())
        self.last_message = f"{count} failed jobs are pending again."
        self.refresh_view()

    def action_backfill(self) -> None:
        """Queue a backfill job for every example without a student conversation; `g` runs them."""
        from core.queue.backfill import enqueue_backfill, plan_backfill

        plan = plan_backfill(self.studio.db, self.teacher_name())
        queued = enqueue_backfill(self.studio.db, plan)
        if queued or plan.already_queued:
            self.last_message = (f"Queued {queued} backfill jobs ({plan.already_queued} already queued); "
                                 f"g starts them with the estimate first.")
        else:
            self.last_message = "Nothing to backfill: every example with an answer has a student conversation."
        if plan.failed:
            self.last_message += f" {plan.failed} backfill jobs failed: r puts them back in the queue."
        self.notify(self.last_message, title="Queue", markup=False)
        self.refresh_view()

    def save_state(self) -> None:
        """The app is closing: abandon the run (its jobs resume next time) so its thread ends at once."""
        queue, loop = self.queue, self.queue_loop
        if queue is not None and loop is not None and self.queue_running() and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(queue.abort)
            except RuntimeError:  # the loop closed meanwhile
                pass

    def on_unmount(self) -> None:
        self.save_state()

    # -- the run -----------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="queue")
    def run_queue(self, batch: bool) -> None:
        from core.queue.events import SnapshotSink
        from core.queue.wiring import build_queue

        app = self.studio
        loop = asyncio.new_event_loop()
        summary, error = None, None
        try:
            queue = build_queue(app.project, app.db, batch=batch, on_example=app.flag_new_example)
            sink = SnapshotSink(queue.stats, lambda snap: self.post_message(self.Progress(snap)))
            queue.on_event = sink

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
                    sink.flush()
                    await queue.teacher.aclose()

            summary = loop.run_until_complete(run())
        except BaseException as exc:  # shown as a notification, never a traceback
            error = exc
        finally:
            loop.close()
        self.post_message(self.Finished(summary, error))

    def on_queue_screen_finished(self, message: "QueueScreen.Finished") -> None:
        self.run_active = False
        if message.error is not None:
            self.studio.show_error(message.error)
        elif message.summary is not None:
            self.last_message = message.summary.line()
            warn = message.summary.stats.stop_reason in ("fatal", "budget", "store")
            self.notify(self.last_message, title="Queue", severity="warning" if warn else "information",
                        markup=False)
        self.refresh_view()
