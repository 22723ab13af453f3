"""Benchmark: the reader on War and Peace against a read-only soft-wrapped TextArea, headless.

Run: `python -m tests.benchmarks.bench_reader`

Measured in one run, at 100x40, for `ReaderView` and for
`TextArea(read_only=True, soft_wrap=True)` holding the same text:

- open: from constructing the widget (text already in memory) to the last line of
  its first page being rendered;
- page down: the reader's own cost of a page-down (re-layout plus rendering every
  visible line), median, best and worst of 30 (the target is on the median); and for both widgets, a `pagedown` key press
  through the app until idle (median of 10);
- resize: terminal 100 -> 80 columns until idle, and (reader only) 80 -> 60 columns,
  which changes the wrap width at the default 72-column measure.

The last line printed is one JSON object with the figures, the targets and the ratios.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

from textual.app import App
from textual.widgets import TextArea

from books.model import BookText
from tui.widgets.reader_view import ReaderView

CORPUS = Path("/work/shared/corpus/war_and_peace_2600.txt")
SIZE = (100, 40)
TARGETS = {"open_s": 0.300, "open_ratio_min": 10.0, "page_render_s": 0.010, "resize_s": 0.300}


def load_book(path: Path) -> BookText:
    """The book as the library imports it; a plain paragraph split if the importer is unavailable."""
    try:
        from books.reader import parse_book_file

        return parse_book_file(path).text
    except ImportError:
        raw = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        paragraphs = [re.sub(r"\s*\n\s*", " ", block.strip()) for block in re.split(r"\n\s*\n", raw)]
        paragraphs = [p for p in paragraphs if p]
        text = "\n\n".join(paragraphs)
        spans, position = [], 0
        for paragraph in paragraphs:
            spans.append((position, position + len(paragraph)))
            position += len(paragraph) + 2
        return BookText(text=text, paragraphs=spans, chapters=[], parts=[])


class PaintClock:
    """Records when a widget renders the last line of its viewport."""

    def __init__(self) -> None:
        self.last_line_at: float | None = None

    def saw(self, y: int, height: int) -> None:
        if y == height - 1 and self.last_line_at is None:
            self.last_line_at = time.perf_counter()


class TimedReader(ReaderView):
    clock: PaintClock

    def render_line(self, y: int):
        strip = super().render_line(y)
        self.clock.saw(y, self.scrollable_content_region.height)
        return strip


class TimedTextArea(TextArea):
    clock: PaintClock

    def render_line(self, y: int):
        strip = super().render_line(y)
        self.clock.saw(y, self.scrollable_content_region.height)
        return strip


class Host(App):
    """An empty app; the widget under test is mounted into it while the clock runs."""


async def measure(make_widget, label: str) -> dict:
    app = Host()
    figures: dict = {}
    async with app.run_test(size=SIZE) as pilot:
        clock = PaintClock()
        started = time.perf_counter()  # constructing the widget counts: both index the text there
        widget = make_widget()
        widget.clock = clock
        await app.mount(widget)
        widget.focus()
        while clock.last_line_at is None and time.perf_counter() - started < 60:
            await pilot.pause(0.001)
        figures["open_s"] = clock.last_line_at - started
        await pilot.pause()

        if isinstance(widget, ReaderView):
            page_times = []
            for _ in range(30):
                t0 = time.perf_counter()
                widget.action_page_down()
                height = widget.scrollable_content_region.height
                lines = [widget.render_line(y) for y in range(height)]
                page_times.append(time.perf_counter() - t0)
                assert len(lines) == height and lines[0].cell_length == widget.scrollable_content_region.width
            figures["page_render_median_s"] = statistics.median(page_times)
            figures["page_render_best_s"] = min(page_times)
            figures["page_render_max_s"] = max(page_times)
            await pilot.pause()

        key_times = []
        for _ in range(10):
            t0 = time.perf_counter()
            await pilot.press("pagedown")
            await pilot.pause()
            key_times.append(time.perf_counter() - t0)
        figures["pagedown_key_median_s"] = statistics.median(key_times)

        t0 = time.perf_counter()
        await pilot.resize_terminal(80, SIZE[1])
        await pilot.pause()
        figures["resize_100_80_s"] = time.perf_counter() - t0
        if isinstance(widget, ReaderView):
            top_before = widget.position
            t0 = time.perf_counter()
            await pilot.resize_terminal(60, SIZE[1])
            await pilot.pause()
            figures["resize_80_60_s"] = time.perf_counter() - t0
            figures["position_kept_on_rewrap"] = widget.position == top_before
            figures["paragraphs_wrapped"] = widget.layout_model.wrap_count
            figures["paragraphs"] = widget.layout_model.paragraph_count
    print(f"{label}: " + ", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()))
    return figures


async def main() -> dict:
    t0 = time.perf_counter()
    book = load_book(CORPUS)
    load_s = time.perf_counter() - t0
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (timings scale with it)")
    print(f"War and Peace: {len(book.text):,} chars, {len(book.paragraphs):,} paragraphs (loaded in {load_s:.2f} s)")
    reader = await measure(lambda: TimedReader(book, id="reader"), "ReaderView")
    textarea = await measure(
        lambda: TimedTextArea(book.text, read_only=True, soft_wrap=True, id="textarea"), "TextArea"
    )
    ratios = {
        "open": textarea["open_s"] / reader["open_s"],
        "pagedown_key": textarea["pagedown_key_median_s"] / reader["pagedown_key_median_s"],
        "resize_100_80": textarea["resize_100_80_s"] / reader["resize_100_80_s"],
    }
    passed = {
        "open_s": reader["open_s"] <= TARGETS["open_s"],
        "open_ratio": ratios["open"] >= TARGETS["open_ratio_min"],
        "page_render_s": reader["page_render_median_s"] <= TARGETS["page_render_s"],
        "resize_s": reader["resize_100_80_s"] <= TARGETS["resize_s"] and reader["resize_80_60_s"] <= TARGETS["resize_s"],
    }
    for name, value in ratios.items():
        print(f"TextArea / ReaderView {name}: {value:.1f}x")
    return {
        "benchmark": "reader",
        "book_chars": len(book.text),
        "reader": reader,
        "textarea": textarea,
        "targets": TARGETS,
        "ratios": ratios,
        "passed": passed,
        "load_average_1m": os.getloadavg()[0],
        "cpus": os.cpu_count(),
    }


if __name__ == "__main__":
    result = asyncio.run(main())
    print(json.dumps(result, sort_keys=True))
    sys.exit(0 if all(result["passed"].values()) else 1)
