"""The Queue screen: typed coalescing messages against the former polling, on the same run.

    python -m tests.benchmarks.bench_queue_screen

Each variant runs 640 jobs (concurrency 32, 100 ms server latency, the fake server in its own process)
in the headless studio and reports the stats repaints per second during the run, the process CPU per job
(UI + queue thread; the queue's share is the same in both), and the repaints and CPU in the 2 s after the
run ended.  "polling" is the screen as it was: a 0.25 s timer reading the queue's live `QueueStats` from the
UI thread and counting every job in the store; "messages" is `SnapshotSink` -> `QueueScreen.Progress`.
The last line is one JSON object with the figures.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from core.project import open_project
from core.queue.events import snapshot
from store import Book, Database, Passage
from tests.benchmarks.bench_queue import start_server, stop_server
from tests.fixtures.fake_anthropic import FAKE_KEY

JOBS = 640
SAMPLES = 4
warnings.filterwarnings("ignore", category=DeprecationWarning)


def polling_screen_class() -> type:
    from core.queue.events import SnapshotSink
    from tui.screens.queue import QueueScreen

    class PollingQueueScreen(QueueScreen):
        """The former design: repaint from the shared stats four times a second, whatever happened."""

        def on_mount(self) -> None:
            super().on_mount()
            self.set_interval(0.25, self.poll)

        def poll(self) -> None:
            self.job_counts()  # the former screen counted every job in the store on each repaint
            if self.queue is not None:
                self.snapshot = snapshot(self.queue.stats)
            self.refresh_view()

    original = SnapshotSink.flush

    def silent_flush(sink: SnapshotSink) -> None:  # the polling screen gets no messages
        sink._last = time.monotonic()

    PollingQueueScreen.restore = staticmethod(lambda: setattr(SnapshotSink, "flush", original))  # type: ignore[attr-defined]
    PollingQueueScreen.silence = staticmethod(lambda: setattr(SnapshotSink, "flush", silent_flush))  # type: ignore[attr-defined]
    return PollingQueueScreen


async def screen_run(variant: str, base_url: str, root: Path) -> dict[str, Any]:
    from tui.app import InteriorityApp
    from tui.screens.queue import QueueScreen

    project = open_project(root)
    project.settings.teacher.base_url = base_url
    project.settings.queue.concurrency = 32
    project.settings.queue.budget_usd = 1000.0
    db = Database(project.db_path)
    book = db.books.add(Book(title="Bench Book", author="Bench Author"))
    text = "He stood at the window a long time, and the street below seemed to him both familiar and strange. "
    db.passages.add_many([Passage(book_id=book.id, start=i * 400, end=i * 400 + 380, text=text * 3 + str(i),
                                  tags=["bench"], verdict="valuable", template_ids=["monologue"])
                          for i in range(JOBS // SAMPLES)])
    project.settings.queue.samples = SAMPLES
    polling = polling_screen_class() if variant == "polling" else None
    app = InteriorityApp(project, db=db)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = polling() if polling is not None else QueueScreen()
            if polling is not None:
                polling.silence()  # type: ignore[attr-defined]
            await app.push_screen(screen)
            await pilot.pause()
            screen.action_enqueue()
            before = screen.repaints
            cpu, wall = time.process_time(), time.perf_counter()
            screen.action_start()
            while screen.run_active:
                await pilot.pause(0.02)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            during = screen.repaints - before
            idle_before, idle_cpu = screen.repaints, time.process_time()
            await pilot.pause(2.0)
            idle_repaints, idle_cpu = screen.repaints - idle_before, time.process_time() - idle_cpu
            final = screen.snapshot
            done = db.jobs.status_counts().get("done", 0)
    finally:
        if polling is not None:
            polling.restore()  # type: ignore[attr-defined]
        db.close()
    return {"variant": variant, "done": done, "wall_s": round(wall, 3), "repaints_per_s": round(during / wall, 1),
            "cpu_ms_per_job": round(cpu / JOBS * 1000, 3), "idle_repaints_per_s": round(idle_repaints / 2.0, 1),
            "idle_cpu_ms_per_s": round(idle_cpu / 2.0 * 1000, 2),
            "final_throughput_shown": round(final.throughput, 2) if final is not None else None}


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="bench_queue_screen_"))
    os.environ["ANTHROPIC_API_KEY"] = FAKE_KEY
    server, url = start_server("--latency", "0.1")
    results = []
    try:
        for round_number in range(2):
            for variant in ("polling", "messages"):
                result = asyncio.run(screen_run(variant, url, workdir / f"{variant}{round_number}"))
                print(result, flush=True)
                results.append(result)
    finally:
        stop_server(server)
    best = {v: min((r for r in results if r["variant"] == v), key=lambda r: r["cpu_ms_per_job"])
            for v in ("polling", "messages")}
    print(json.dumps(best))
    return 0


if __name__ == "__main__":
    sys.exit(main())
