"""Opening a project refuses with one sentence what would surprise later, and never writes through a link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.errors import ProjectError, SettingsError
from core.project import SETTINGS_NAME, open_project


def test_a_dangling_settings_link_is_not_written_through(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    outside = tmp_path / "outside.toml"
    (root / SETTINGS_NAME).symlink_to(outside)
    with pytest.raises(SettingsError, match="link to a missing file"):
        open_project(root)
    assert not outside.exists()


def test_a_file_where_a_project_folder_belongs_is_a_sentence(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "library").write_text("not a folder")
    with pytest.raises(ProjectError, match="library is not a folder; move it away"):
        open_project(root)


def test_a_dangling_folder_link_is_refused_not_created_elsewhere(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "exports").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ProjectError, match="exports is not a folder"):
        open_project(root)
    assert not (tmp_path / "elsewhere").exists()


def test_an_existing_project_opens_unchanged(tmp_path: Path) -> None:
    project = open_project(tmp_path / "p")
    project.settings_path.write_text("[reader]\nmeasure = 90\n")
    before = {p: p.stat().st_mtime_ns for p in project.root.iterdir()}
    assert open_project(project.root).settings.reader.measure == 90
    assert {p: p.stat().st_mtime_ns for p in project.root.iterdir()} == before


def test_read_only_subfolders_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = open_project(tmp_path / "p")
    real_access = os.access
    runs = str(project.runs)
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == runs else real_access(p, mode))
    with pytest.raises(ProjectError, match=f"The project folder {runs} is read-only"):
        open_project(project.root)
