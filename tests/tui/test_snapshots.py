"""Snapshots of the Library and Help screens (regenerate with `pytest --snapshot-update` after a deliberate change).

The registry is limited to this issue's screens (Library, Reader) so that a screen
added by a later issue does not change these pictures.
"""

from __future__ import annotations

import pytest

from tests.tui.helpers import settle
from tui.screens import registry

SNAP_SIZE = (100, 30)


@pytest.fixture(autouse=True)
def _only_library_and_reader(monkeypatch):
    monkeypatch.setattr(registry, "SCREENS", registry.SCREENS[:2])


def test_empty_library(snap_compare, make_app):
    async def ready(pilot):
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(), terminal_size=SNAP_SIZE, run_before=ready)


def test_library_with_a_book(snap_compare, make_app, notes_book):
    async def ready(pilot):
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(), terminal_size=SNAP_SIZE, run_before=ready)


def test_help_screen(snap_compare, make_app):
    async def open_help(pilot):
        await settle(pilot.app, pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SNAP_SIZE, run_before=open_help)
