"""Fixtures of the studio's UI tests: an app factory on the `project` fixture and a small imported book."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTES = "notes_from_underground_600.txt"
SIZE = (120, 40)


@pytest.fixture
def notes_book(project, db, corpus: Path):
    """Notes from Underground imported into the test project (265 KB: imports in well under a second)."""
    from core.library import import_book

    return import_book(project, db, corpus / NOTES)


@pytest.fixture
def make_app(project, db):
    """Build the studio on the test project, sharing the test's database (one per process)."""
    from tui.app import InteriorityApp

    def make(**kwargs):
        return InteriorityApp(project, db=db, **kwargs)

    return make

