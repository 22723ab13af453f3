"""Scale-out exports write only inside the project's build: `..`, absolute paths and symlinks are refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.cli import main
from core.paths import UnsafePathError
from core.planner import export_scale_out
from core.planner.shapes import PlannerError
from tests.planner.test_cli_and_exports import _fake_build


def _snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")} if folder.exists() else set()


@pytest.mark.parametrize("build", ["..", "../..", "/", "/tmp", "../outside", "demo/../../outside", "", "."])
def test_build_names_outside_exports_are_refused(project: Any, tmp_path: Path, build: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _fake_build(project)
    outside = tmp_path / "outside"
    outside.mkdir()
    before = _snapshot(tmp_path)
    code = main(["scale-out", build, "--project", str(project.root), "--target", "managed"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and err.strip()
    assert _snapshot(tmp_path) == before  # nothing written anywhere
    assert not Path("/scale-out").exists()
    with pytest.raises((UnsafePathError, PlannerError)):
        export_scale_out(project.exports, build, "managed")


def test_symlinks_out_of_the_project_are_refused(project: Any, tmp_path: Path) -> None:
    name = _fake_build(project)
    outside = tmp_path / "outside"
    outside.mkdir()
    # A build that is a symlink to a folder outside exports/.
    (outside / "card.json").write_text("{}")
    (project.exports / "linked").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError, match="outside the project folder"):
        export_scale_out(project.exports, "linked", "managed")
    # A scale-out folder planted as a symlink to the outside.
    scale_out = project.exports / name / "scale-out"
    scale_out.symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError):
        export_scale_out(project.exports, name, "managed")
    scale_out.unlink()
    # A planted file symlink where an export file will be written.
    managed = scale_out / "managed"
    managed.mkdir(parents=True)
    victim = outside / "victim.jsonl"
    victim.write_text("keep me\n")
    (managed / "train.jsonl").symlink_to(victim)
    with pytest.raises(UnsafePathError):
        export_scale_out(project.exports, name, "managed")
    assert victim.read_text() == "keep me\n"
    assert sorted(p.name for p in outside.iterdir()) == ["card.json", "victim.jsonl"]


def test_a_symlinked_folder_inside_the_build_is_not_walked(project: Any, tmp_path: Path) -> None:
    name = _fake_build(project)
    elsewhere = tmp_path / "elsewhere" / "openai"
    elsewhere.mkdir(parents=True)
    rows = "".join(json.dumps({"messages": [{"role": "user", "content": "x"}, {"role": "assistant",
                                                                                "content": "y"}]}) + "\n"
                   for _ in range(50))  # bigger than the build's own: it would be picked if it were walked
    (elsewhere / "train.jsonl").write_text(rows)
    (project.exports / name / "stage-999").symlink_to(elsewhere.parent, target_is_directory=True)
    result = export_scale_out(project.exports, name, "managed")
    assert len((result.folder / "train.jsonl").read_text().splitlines()) == 5
    assert all(str(f).startswith(str(project.exports.resolve())) for f in result.files)
