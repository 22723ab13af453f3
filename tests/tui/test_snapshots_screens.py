"""A snapshot of every studio screen at 80x24 and 120x40, so a layout regression shows up in CI (issue 18).

Each screen is opened by its number key on a project holding one small imported book (Notes from
Underground), so what is drawn is deterministic: no temporary paths, no clocks.  After a deliberate change of
a screen, regenerate with `python3 -m pytest tests/tui/test_snapshots_screens.py --snapshot-update` and look
at the pictures in tests/tui/__snapshots__/ before committing them.
"""

from __future__ import annotations

import pytest

from tests.tui.helpers import settle
from tui.screens import registry

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
SCREEN_KEYS = {spec.id: spec.key for spec in registry.SCREENS}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("screen", list(SCREEN_KEYS))
def test_screen(snap_compare, make_app, notes_book, screen: str, size: str) -> None:
    async def open_screen(pilot):
        await settle(pilot.app, pilot)
        await pilot.press(SCREEN_KEYS[screen])
        await settle(pilot.app, pilot)
        await pilot.pause(0.3)  # workers that fill a screen after its first frame (lists, previews)
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=open_screen)
