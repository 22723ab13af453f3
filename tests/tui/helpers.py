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
