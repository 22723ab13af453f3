"""Shared fixtures: a fresh project folder and its database, the shared corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.project import Project, open_project

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = REPO_ROOT.parent / "shared" / "corpus"

# Fixture modules owned by their features; each line imports that module's fixtures.
# --- fixture imports (one line per module) ---
from tests.fixtures.fake_anthropic import fake_anthropic  # noqa: F401
from tests.fixtures.tiny_model import tiny_model  # noqa: F401
# --- end fixture imports ---


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the user's real default project or a real API key; a broken screen raises (dev mode)."""
    monkeypatch.setenv("INTERIORITY_HOME", str(tmp_path_factory.mktemp("home") / "default"))
    monkeypatch.setenv("INTERIORITY_DEV", "1")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return open_project(tmp_path / "project")


@pytest.fixture
def db(project: Project):
    from store import Database

    database = Database(project.db_path)
    yield database
    database.close()


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.exists():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    return CORPUS
