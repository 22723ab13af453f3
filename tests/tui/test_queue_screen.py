"""The Queue screen with Pilot: no teacher, enqueue from a tag, run against the fake server, pause, mode."""

from __future__ import annotations

import asyncio

import pytest

from tests.queue.conftest import add_passages
from tests.tui.helpers import record_notifications, text_of

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def wait_until(pilot, predicate, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await pilot.pause(0.05)


async def test_without_a_teacher_it_says_how_to_configure_one(make_app, db):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.show_screen("queue")
        await pilot.pause()
        screen = app.screen
        teacher = text_of(screen.query_one("#queue-teacher"))
        assert "No teacher is configured" in teacher and "ANTHROPIC_API_KEY" in teacher
        assert "teacher.local_model" in teacher
        notes = record_notifications(app)
        await pilot.press("g")
        await pilot.pause()
        assert any("ANTHROPIC_API_KEY" in n for n in notes) and screen.queue is None


async def test_enqueue_run_and_watch(make_app, db, fake_anthropic):
    add_passages(db, 3, templates=("monologue", "uncertainty"), tag="grief")
    add_passages(db, 2, tag="joy", book_title="Another")
    fake_anthropic.latency = 0.8  # long enough to pause the run while requests are in flight
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "QueueScreen"
        assert "Teacher: anthropic:claude-sonnet-4-6" in text_of(screen.query_one("#queue-teacher"))
        screen.query_one("#queue-tag").value = "grief"
        await pilot.press("e")
        await pilot.pause()
        assert db.jobs.count() == 6 and "pending 6" in text_of(screen.query_one("#queue-stats"))
        await pilot.press("m")
        assert screen.batch_mode and "batch" in text_of(screen.query_one("#queue-teacher"))
        await pilot.press("m")
        await pilot.press("g")
        await wait_until(pilot, lambda: screen.snapshot is not None and screen.snapshot.running)
        await pilot.press("p")
        await wait_until(pilot, lambda: screen.snapshot.paused)  # a Progress message, not a poll
        assert "paused" in text_of(screen.query_one("#queue-stats"))
        await pilot.press("p")
        await wait_until(pilot, lambda: not screen.run_active)
        stats = text_of(screen.query_one("#queue-stats"))
        assert "done 6" in stats and "cache hit rate" in stats and "estimated total $" in stats
        assert "final throughput" in stats and "Cost" in stats
        assert db.examples.count() == 6
        assert "6 done" in screen.last_message
        final = screen.snapshot
        assert final is not None and not final.running and final.done == 6 and final.throughput > 0
        await pilot.pause(0.3)
        assert screen.snapshot is final  # nothing is posted after the run ended: the figure stays put
        assert f"final throughput {final.throughput:.2f}" in text_of(screen.query_one("#queue-stats"))


async def test_backfill_from_the_queue_screen(make_app, db, fake_anthropic):
    from tests.queue.test_backfill import ANSWER, old_examples

    ids = old_examples(db, ("monologue", "uncertainty"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        screen = app.screen
        assert "2 examples have no student conversation" in text_of(screen.query_one("#queue-stats"))
        await pilot.press("b")
        await pilot.pause()
        assert "Queued 2 backfill jobs" in screen.last_message and "pending 2" in text_of(
            screen.query_one("#queue-stats"))
        await pilot.press("g")
        await wait_until(pilot, lambda: not screen.run_active and screen.snapshot is not None)
        examples = {e.id: e for e in db.examples.all()}
        assert all(examples[i].student[1]["content"] == ANSWER.format(n=n) for n, i in enumerate(ids))
        await pilot.press("b")
        await pilot.pause()
        assert "Nothing to backfill" in screen.last_message
        assert "no student conversation" not in text_of(screen.query_one("#queue-stats"))


async def test_enqueue_names_the_skipped_passages_and_why(make_app, db, fake_anthropic):
    add_passages(db, 2, templates=("monologue",), tag="grief")
    bare = add_passages(db, 1, templates=(), tag="grief", book_title="Bare")[0]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        screen = app.screen
        notes = record_notifications(app)
        screen.query_one("#queue-tag").value = "grief"
        await pilot.press("e")
        await pilot.pause()
        expected = (f"Enqueued 2 new jobs from 2 passages (0 already queued or done). Skipped 1 passage "
                    f"({bare.id}): no template chosen; choose templates on them in the reader's sidebar (T).")
        assert screen.last_message == expected and any(expected in n for n in notes)
        assert f"Skipped 1 passage ({bare.id})" in text_of(screen.query_one("#queue-stats"))


async def test_the_start_shows_a_starting_state_at_once(make_app, db, fake_anthropic):
    add_passages(db, 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        screen = app.screen
        started: list[bool] = []
        screen.run_queue = lambda batch: started.append(batch)  # the worker never reports: only the at-once state
        await pilot.press("g")
        assert started == [False] and screen.snapshot is None
        stats = text_of(screen.query_one("#queue-stats"))
        host = fake_anthropic.base_url.split("://", 1)[1].rstrip("/")
        assert "starting" in stats and f"connecting to {host}" in stats and "Not running" not in stats


async def test_teacher_endpoint_and_settings_changed_on_disk(make_app, db, fake_anthropic, project):
    settings_file = project.settings_path
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        screen = app.screen
        host = fake_anthropic.base_url.split("://", 1)[1].rstrip("/")
        teacher = text_of(screen.query_one("#queue-teacher"))
        assert "Teacher: anthropic:claude-sonnet-4-6" in teacher and f"Endpoint: {host}" in teacher
        assert "changed since" not in teacher
        original = settings_file.read_text(encoding="utf-8")
        edited = original.replace('model = "claude-sonnet-4-6"', 'model = "claude-haiku-4-5"', 1).replace(
            'base_url = ""', 'base_url = "http://teacher.example:8080"', 1)
        assert edited != original
        settings_file.write_text(edited, encoding="utf-8")
        # The screen's own check (every 2 s) finds it; nothing is reloaded without the key.
        await wait_until(pilot, lambda: "changed since the studio loaded it" in text_of(
            screen.query_one("#queue-teacher")))
        assert "(teacher): R reloads it" in text_of(screen.query_one("#queue-teacher"))
        assert app.settings.teacher.model == "claude-sonnet-4-6"
        await pilot.press("R")
        await pilot.pause()
        assert app.settings.teacher.model == "claude-haiku-4-5" and app.project.settings is app.settings
        teacher = text_of(screen.query_one("#queue-teacher"))
        assert "Teacher: anthropic:claude-haiku-4-5" in teacher and "Endpoint: teacher.example:8080" in teacher
        assert "changed since" not in teacher and "Reloaded teacher" in screen.last_message
        # A bad file: its sentence, and the settings the studio runs on stay as they were.
        settings_file.write_text(edited.replace("concurrency = 8", "concurrency = -3", 1), encoding="utf-8")
        errors: list[str] = []
        app.show_error = lambda error: errors.append(str(error))  # type: ignore[method-assign]
        await wait_until(pilot, lambda: "cannot be used" in text_of(screen.query_one("#queue-teacher")))
        assert "queue.concurrency" in text_of(screen.query_one("#queue-teacher"))
        await pilot.press("R")
        await pilot.pause()
        assert errors and "queue.concurrency" in errors[0] and "keeps the settings it loaded" in errors[0]
        assert app.settings.queue.concurrency == 8 and app.settings.teacher.model == "claude-haiku-4-5"
