"""App start to first frame on an empty project (target <= 1 s), against a bare Textual app in the same run.

Each figure is the median of several fresh processes, timed from just before the
process is spawned to the moment the child reports its first frame:

- headless: `InteriorityApp(project).run_test()`, first frame after the first refresh;
- baseline: a bare `textual.app.App` with one `Static`, measured the same way;
- terminal (when tmux is installed): `python -m core --project EMPTY` in a real tmux
  pane until the Library's first sentence is on the screen (polled every 20 ms).

Run: python -m tests.benchmarks.bench_startup   (the last line is one JSON object)
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNS = 5
TARGET_S = 1.0

CHILD_STUDIO = """
import asyncio, sys
from core.project import open_project
from tui.app import InteriorityApp
async def main():
    app = InteriorityApp(open_project(sys.argv[1]))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        print("FRAME", flush=True)
asyncio.run(main())
"""

CHILD_BASELINE = """
import asyncio
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("hello")
async def main():
    app = Bare()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        print("FRAME", flush=True)
asyncio.run(main())
"""


def time_child(code: str, *args: str) -> float:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("FRAME"):
            elapsed = time.perf_counter() - started
            break
    else:
        raise RuntimeError("the child exited without a frame")
    process.wait(timeout=30)
    return elapsed


def time_tmux(project: Path) -> float:
    session = f"bench-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40",
                    f"cd {REPO} && {sys.executable} -m core --project {project}; sleep 5"], check=True)
    try:
        while time.perf_counter() - started < 30:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                    text=True).stdout
            if "Import a book" in screen:
                return time.perf_counter() - started
            time.sleep(0.02)
        raise RuntimeError("the studio did not show its first frame in tmux within 30 s")
    finally:
        subprocess.run(["tmux", "send-keys", "-t", session, "C-q"], capture_output=True)
        time.sleep(0.5)
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def main() -> None:
    from core.project import open_project

    folder = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    project = folder / "empty"
    open_project(project)  # created once: the timing is of opening, not of creating
    time_child(CHILD_BASELINE)  # warm the file cache for both
    studio = [time_child(CHILD_STUDIO, str(project)) for _ in range(RUNS)]
    baseline = [time_child(CHILD_BASELINE) for _ in range(RUNS)]
    terminal = [time_tmux(project) for _ in range(3)] if shutil.which("tmux") else []
    figures = {
        "studio_first_frame_s": round(statistics.median(studio), 3),
        "bare_textual_first_frame_s": round(statistics.median(baseline), 3),
        "terminal_first_frame_s": round(statistics.median(terminal), 3) if terminal else None,
    }
    print(f"studio, headless, start to first frame: median {figures['studio_first_frame_s']:.3f} s "
          f"(runs: {', '.join(f'{t:.3f}' for t in studio)})")
    print(f"bare Textual app, same measure:         median {figures['bare_textual_first_frame_s']:.3f} s")
    if terminal:
        print(f"studio in tmux, start to first frame:   median {figures['terminal_first_frame_s']:.3f} s")
    headline = figures["terminal_first_frame_s"] or figures["studio_first_frame_s"]
    result = {
        **figures,
        "target_s": TARGET_S,
        "ratio_to_target": round(headline / TARGET_S, 3),
        "ratio_to_bare_textual": round(figures["studio_first_frame_s"] / figures["bare_textual_first_frame_s"], 3),
        "meets_target": headline <= TARGET_S,
        "runs": RUNS,
    }
    shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
