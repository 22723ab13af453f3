"""Helpers shared by the UI tests."""

from __future__ import annotations

from textual.widget import Widget


async def settle(app, pilot) -> None:
    """Let workers finish and the screen catch up with the messages they posted."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def record_notifications(app) -> list[str]:
    """Start recording the texts of the app's notifications (errors included); returns the live list."""
    recorded: list[str] = []
    original = app.notify

    def notify(message: str, **kwargs):
        recorded.append(message)
        return original(message, **kwargs)

    app.notify = notify
    return recorded


def text_of(widget: Widget) -> str:
    """What a Static/Label shows, as plain text."""
    return str(widget.render())


async def wait_for_screen(app, pilot, screen_class, timeout: float = 5.0):
    """Pause until the app's top screen is a `screen_class` (a dialog pushed after a worker answers takes a few
    frames on a loaded machine); return it, or the screen there is when `timeout` runs out."""
    waited = 0.0
    while not isinstance(app.screen, screen_class) and waited < timeout:
        await pilot.pause(0.05)
        waited += 0.05
    return app.screen
