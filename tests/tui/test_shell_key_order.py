"""Issue 18 bug 3: characters typed right after clearing a field vanished (Plan's GPUs, Train's learning rate).

The cause is Textual's key routing (Textualize/textual#6605, open): an Input inserts a
printable character as soon as the key reaches it, but a *bound* key (backspace, end,
enter, escape) acts only when the event has bubbled back up to the app.  Keys that
arrive in one burst (a fast typist, a busy app catching up, tmux) are therefore applied
out of order: End, Backspace x6, "4", Enter typed the 4 first, then deleted it.  These
tests post the keys to the app without waiting between them, as a terminal delivers a burst.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from tests.tui.conftest import SIZE
from tests.tui.helpers import settle

CHARACTERS = {"backspace": "\x7f", "enter": "\r", "escape": "\x1b", "end": None, "home": None, "delete": None}


def burst(app, *keys: str) -> None:
    """Queue key events on the app at once, as the terminal driver does when keys arrive together."""
    for key in keys:
        app.post_message(events.Key(key, CHARACTERS.get(key, key)))


async def test_a_burst_after_clearing_the_gpus_field_keeps_the_typed_digit(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.show_screen("plan")
        await settle(app, pilot)
        screen = app.screen
        gpus = screen.query_one("#plan-gpus", Input)
        for attempt, typed in enumerate(("4", "16", "8")):
            gpus.focus()
            await pilot.pause()
            burst(app, "end", *["backspace"] * 6, *typed, "enter")
            await settle(app, pilot)
            assert gpus.value == typed, attempt
            assert screen.last_plan["gpus"] == int(typed)


async def test_a_burst_in_the_learning_rate_field_is_applied_in_order(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.show_screen("train")
        await settle(app, pilot)
        rate = app.screen.query_one("#train-lr", Input)
        rate.focus()
        await pilot.pause()
        burst(app, "end", *["backspace"] * 12, *"2e-5", "home", "delete", "3", "end", "enter")
        await settle(app, pilot)
        assert rate.value == "3e-5"


async def test_escape_then_a_number_in_one_burst_switches_screens(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.show_screen("plan")
        await settle(app, pilot)
        gpus = app.screen.query_one("#plan-gpus", Input)
        gpus.focus()
        await pilot.pause()
        burst(app, "end", "backspace", "8", "enter", "escape", "2")
        await settle(app, pilot)
        assert gpus.value == "8"
        assert app.current_mode == "reader"
