"""The one path check: `..`, absolute paths and symlinks out of the project are refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from core.paths import UnsafePathError, inside, is_inside, safe_name


def test_plain_paths_inside_are_accepted(tmp_path: Path) -> None:
    assert inside(tmp_path, "runs", "a") == (tmp_path / "runs" / "a").resolve()
    assert inside(tmp_path) == tmp_path.resolve()


@pytest.mark.parametrize("part", ["..", "../x", "../../victim.json", "/etc/passwd", "runs/../../x", "/"])
def test_escapes_are_refused(tmp_path: Path, part: str) -> None:
    with pytest.raises(UnsafePathError, match="outside the project"):
        inside(tmp_path / "proj", part)


def test_symlink_out_of_the_project_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, project / "link")
    assert not is_inside(project, "link", "file")
    os.symlink(project / "library", project / "inner")
    assert is_inside(project, "inner", "file")


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "../x", "/abs", "a..b", "-x", "x" * 129, "a\0b"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(UnsafePathError, match="not a plain name"):
        safe_name(name, "run name")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["..", ".", "a", "b", "/", "runs", "x.json"]), min_size=1, max_size=6))
def test_any_accepted_path_lies_inside(tmp_path_factory: pytest.TempPathFactory, parts: list[str]) -> None:
    root = tmp_path_factory.mktemp("p")
    joined = "/".join(parts)
    try:
        resolved = inside(root, joined)
    except UnsafePathError:
        return
    assert resolved == root.resolve() or root.resolve() in resolved.parents
