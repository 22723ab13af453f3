"""Issue 18 bug 1: the loss chart shows the newest iterations at 80, 120 and 170 columns, and zooms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.geometry import Region

from store.records import Run
from tests.tui.helpers import settle
from tui.widgets.train_chart import LossChart, axis_ticks

LAST_LOSS = 0.777


def add_finished_run(project, db, name: str = "r300", iterations: int = 300) -> Run:
    """A finished run as its worker leaves it: a progress file (re-read on arrival) and a record."""
    run_dir = Path(project.runs) / name
    run_dir.mkdir(parents=True)
    events = [{"event": "loading", "time": 1000.0, "iteration": 0},
              {"event": "config", "time": 1002.0, "total_iterations": iterations, "start_iteration": 0}]
    for it in range(10, iterations + 1, 10):
        loss = LAST_LOSS if it == iterations else 3.0 - it / 200
        events.append({"event": "train", "time": 1002.0 + it, "iteration": it, "loss": loss, "learning_rate": 1e-5,
                       "tokens_per_s": 900.0, "trained_tokens": it * 100, "peak_memory_gb": 1.5})
        if it % 50 == 0:
            events.append({"event": "val", "time": 1002.0 + it, "iteration": it, "val_loss": 3.1 - it / 200})
    events.append({"event": "done", "time": 1002.0 + iterations + 1, "iteration": iterations})
    (run_dir / "progress.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    return db.runs.add(Run(name=name, status="done", run_dir=str(run_dir), total_iterations=iterations,
                           config={"method": "lora", "learning_rate": 1e-5, "batch_size": 4}))


def chart_lines(chart: LossChart) -> list[str]:
    return [strip.text for strip in chart.render_lines(Region(0, 0, chart.size.width, chart.size.height))]


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (170, 50)])
async def test_the_chart_fits_its_panel_and_ends_at_the_last_iteration(make_app, project, db, size) -> None:
    add_finished_run(project, db)
    app = make_app()
    async with app.run_test(size=size) as pilot:
        app.show_screen("train")
        await settle(app, pilot)
        chart = app.screen.query_one("#train-chart", LossChart)
        assert chart.region.right <= size[0]  # drawn inside the screen, not wider than its panel
        assert chart.region.x >= app.screen.query_one("#train-form").region.right
        lines = chart_lines(chart)
        assert f"300: train {LAST_LOSS:.3f}" in lines[0]  # the newest loss is labelled
        frame = next(index for index, line in enumerate(lines) if "\u2514" in line)  # the axis' corner
        assert lines[frame + 1].split()[-1] == "300"  # the x axis ends at the last reported iteration
        right_edge = lines[frame].rindex("\u2518")
        plotted = [line[right_edge - 1] for line in lines[1:frame]]
        assert any(glyph.strip() for glyph in plotted)  # a point is drawn in the last column


async def test_zoom_shows_the_last_iterations(make_app, project, db) -> None:
    add_finished_run(project, db)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.show_screen("train")
        await settle(app, pilot)
        chart = app.screen.query_one("#train-chart", LossChart)
        assert chart.shown_range == (0, 300) or chart.shown_range == (10, 300)
        await pilot.press("f3")
        await settle(app, pilot)
        assert chart.shown_range == (100, 300) and "last 200" in "\n".join(chart_lines(chart))
        await pilot.press("f3")
        await settle(app, pilot)
        assert chart.shown_range == (250, 300)
        lines = chart_lines(chart)
        ticks = lines[next(index for index, line in enumerate(lines) if "\u2514" in line) + 1].split()
        assert ticks[0] == "250" and ticks[-1] == "300"
        await pilot.press("f3")
        await settle(app, pilot)
        assert chart.shown_range[1] == 300 and chart.shown_range[0] <= 10


def test_axis_ticks_end_on_the_last_iteration() -> None:
    assert axis_ticks(0, 300) == [0, 75, 150, 225, 300]
    assert axis_ticks(250, 253)[-1] == 253 and axis_ticks(5, 5) == [5]
