"""Fixtures for the quality tests: a flagger configured as a new project's is (seed templates, defaults)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.quality import QualityFlagger
from core.settings import Settings
from core.templates import Template, load_template_file

SEED_DIR = Path(__file__).resolve().parents[2] / "core" / "templates_seed"


def seed_templates() -> list[Template]:
    """The six seed templates, whose AVOID lists feed the phrase list as in a new project."""
    return [load_template_file(path) for path in sorted(SEED_DIR.glob("0*.md"))]


@pytest.fixture(scope="module")
def seeded_flagger() -> QualityFlagger:
    return QualityFlagger(Settings(), seed_templates())
