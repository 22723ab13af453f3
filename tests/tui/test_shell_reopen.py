"""Reopening the studio returns to the screen the user left (issue 18), through core.ui_state."""

from __future__ import annotations

import logging

from core.ui_state import FILE_NAME, load_ui_state
from tests.tui.conftest import SIZE
from tests.tui.helpers import settle


async def test_reopening_returns_to_the_last_screen(make_app, project):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.current_mode == "library"
        app.show_screen("plan")
        await settle(app, pilot)
    assert load_ui_state(project.root).last_screen == "plan"

    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await settle(again, pilot)
        assert again.current_mode == "plan"
        assert again.screen_instance("library") is None  # not built on the way


async def test_screen_values_saved_by_a_screen_survive_the_session(make_app, project):
    """The API screens use: set values under their own id in save_state; the app writes them on exit."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.ui_state.set("review", "filter", "status=pending")
        await pilot.press("ctrl+q")
    assert load_ui_state(project.root).get_str("review", "filter") == "status=pending"


async def test_a_damaged_or_stale_state_opens_the_first_screen(make_app, project, caplog):
    (project.root / FILE_NAME).write_text("{not json", encoding="utf-8")
    app = make_app()
    with caplog.at_level(logging.WARNING, logger="core.ui_state"):
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            assert app.current_mode == "library"
    assert "not JSON" in caplog.text

    (project.root / FILE_NAME).write_text('{"version": 1, "values": {"app": {"screen": "gauges"}}}',
                                          encoding="utf-8")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.current_mode == "library"


async def test_a_studio_screen_has_its_own_namespace(make_app, project):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.show_screen("plan")
        await settle(app, pilot)
        screen.ui_state.set("gpus", 8)
        assert app.ui_state.get_int("plan", "gpus") == 8
    assert load_ui_state(project.root).get_int("plan", "gpus") == 8
