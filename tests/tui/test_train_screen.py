"""The Train screen with the tiny model: start a run, watch it live, see it in history, compare, checklist."""

from __future__ import annotations

import asyncio
import time

from textual.widgets import DataTable, Input, Select

from tests.fixtures.tiny_model import tiny_chat_dataset
from tests.tui.conftest import SIZE
from tests.tui.helpers import record_notifications, settle, text_of


async def _wait_for_status(app, pilot, db, statuses, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = db.runs.all()
        if runs and all(r.status in statuses for r in runs):
            return runs
        await asyncio.sleep(0.2)
        await pilot.pause()
    raise AssertionError(f"runs did not reach {statuses}: {[(r.name, r.status, r.error) for r in db.runs.all()]}")


async def test_train_screen_runs_the_tiny_model_live(make_app, project, db, tiny_model, monkeypatch):
    monkeypatch.setenv("MLX_DISABLE_COMPILE", "1")  # the CPU kernel compiler is slow on a cold cache
    tiny_chat_dataset(project.exports / "tiny" / "mlx-chat", n=30)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        errors = record_notifications(app)
        app.show_screen("train")
        await settle(app, pilot)
        screen = app.screen
        assert type(screen).__name__ == "TrainScreen"
        assert screen.query_one("#train-data", Select).value == "tiny"
        screen.query_one("#train-model", Input).value = str(tiny_model)
        for input_id, value in (("train-iters", "12"), ("train-batch", "2"), ("train-lr", "2e-3"),
                                ("train-layers", "-1"), ("train-seq", "96"), ("train-report", "4"),
                                ("train-eval", "6"), ("train-save", "6")):
            screen.query_one(f"#{input_id}", Input).value = value
        await settle(app, pilot)
        info = text_of(screen.query_one("#train-model-info"))
        assert "llama, 2 layers" in info and "quantization: none" in info

        await pilot.press("f5")
        runs = await _wait_for_status(app, pilot, db, ("done", "failed"))
        await settle(app, pilot)
        run = runs[0]
        assert run.status == "done", run.error
        stats = text_of(screen.query_one("#train-stats"))
        assert run.name in stats and "iteration 12/12" in stats and "tok/s" in stats
        assert [p[0] for p in run.curves["train"]] == [4, 8, 12]
        log = "\n".join(screen.query_one("#train-log").lines)
        assert "checkpoint saved" in log and "done" in log
        table = screen.query_one("#train-history", DataTable)
        assert table.row_count == 1 and table.get_row_at(0)[1] == "done"

        # A second, shorter run; mark both and compare their settings side by side.
        screen.query_one("#train-iters", Input).value = "4"
        screen.query_one("#train-lr", Input).value = "1e-3"
        await pilot.press("f5")
        await asyncio.sleep(0.5)
        await _wait_for_status(app, pilot, db, ("done", "failed"))
        await settle(app, pilot)
        assert table.row_count == 2
        screen.query_one("#train-tabs").active = "tab-history"
        await settle(app, pilot)
        table.move_cursor(row=0)
        await pilot.press("f9")
        table.move_cursor(row=1)
        await pilot.press("f9")
        await settle(app, pilot)
        comparison = text_of(screen.query_one("#train-compare"))
        assert "learning_rate" in comparison and "0.001" in comparison and "0.002" in comparison
        assert not [e for e in errors if "failed" in e.lower()]


async def test_train_screen_explains_missing_inputs(make_app, project, db):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        errors = record_notifications(app)
        app.show_screen("train")
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot)
        assert any("dataset build" in e for e in errors)
        assert db.runs.count() == 0


async def test_stop_says_stopping_at_once_then_the_truth(make_app, project, db, tiny_model, monkeypatch):
    monkeypatch.setenv("MLX_DISABLE_COMPILE", "1")
    tiny_chat_dataset(project.exports / "tiny" / "mlx-chat", n=30)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.show_screen("train")
        await settle(app, pilot)
        screen = app.screen
        screen.query_one("#train-model", Input).value = str(tiny_model)
        for input_id, value in (("train-iters", "400"), ("train-batch", "2"), ("train-layers", "-1"),
                                ("train-seq", "256"), ("train-report", "50"), ("train-save", "100")):
            screen.query_one(f"#{input_id}", Input).value = value
        await settle(app, pilot)
        screen.query_one("#train-tabs").active = "tab-history"
        await pilot.press("f5")
        assert screen.query_one("#train-tabs").active == "tab-live"  # F5 shows the live run
        deadline = time.monotonic() + 60
        while not any(e.get("event") in ("loading", "config", "step") for r in db.runs.all() for e in r.events):
            assert time.monotonic() < deadline, "the worker never reported"
            await asyncio.sleep(0.05)
            await pilot.pause()
        await pilot.pause()
        stats = text_of(screen.query_one("#train-stats"))
        assert "loading the model" in stats or "first steps" in stats or "first report" in stats, stats
        # Every text the status shows from here on: on a loaded machine the worker can have stopped by the
        # next frame, so "stopping" is looked for among what was shown, not in the last text only.
        widget = screen.query_one("#train-stats")
        shown: list[str] = []
        original = widget.update

        def recording(content="", *args, **kwargs):
            shown.append(str(content))
            return original(content, *args, **kwargs)

        widget.update = recording
        await pilot.press("f6")
        assert any("stopping" in text for text in shown), shown  # at once, in the key's own handler
        runs = await _wait_for_status(app, pilot, db, ("stopped", "failed"))
        await settle(app, pilot)
        run = runs[0]
        assert run.status == "stopped", run.error
        stats = text_of(screen.query_one("#train-stats"))
        if run.iteration == 0:
            assert "nothing to resume" in stats and "checkpoint is kept" not in stats
        else:
            assert f"Stopped at iteration {run.iteration}; its checkpoint is saved." in stats
