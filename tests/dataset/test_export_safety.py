"""Builds never write outside exports/, and a full disk is a sentence that changes nothing."""

from __future__ import annotations

import builtins
import errno
import json
from pathlib import Path
from typing import Any

import pytest

from core.cli import main
from core.dataset import BuildSpec, BuildSpecError, build_dataset
from core.dataset.build import BuildWriteError
from tests.dataset.synthetic import add_book


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", ["../x", "/abs/x", "a/b", ".hidden", ""])
def test_build_names_stay_inside_exports(project, db, name: str) -> None:
    add_book(db, "Ideas", "Husserl", passages=4, per_passage=2)
    with pytest.raises(BuildSpecError, match="folder name"):
        build_dataset(project, db, BuildSpec(name=name, formats=("mlx-chat",), near_dedup=False))
    assert not (project.root.parent / "x").exists()


def test_full_disk_is_a_sentence_and_keeps_the_earlier_build(project, db, monkeypatch, capsys) -> None:
    add_book(db, "Ideas", "Husserl", passages=10, per_passage=2)
    build_dataset(project, db, BuildSpec(name="b", formats=("mlx-chat",), near_dedup=False))
    before = _files(project.exports)
    real_open = builtins.open

    def full_disk(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode and ".building-" in str(file):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr("core.dataset.build.open", full_disk, raising=False)
    with pytest.raises(BuildWriteError, match=r"No space left on device\); free some space .* Nothing under"):
        build_dataset(project, db, BuildSpec(name="b", formats=("mlx-chat",), near_dedup=False, overwrite=True))
    assert _files(project.exports) == before
    assert [p.name for p in project.exports.iterdir()] == ["b"]  # no staging folder left behind

    db.close()  # the command line opens the project's database itself
    code = main(["--project", str(project.root), "export", "b", "--format", "mlx-chat", "--force",
                 "--no-near-dedup", "--json"])
    err = capsys.readouterr().err
    assert code == 2 and "Could not write the build b" in err and "Traceback" not in err
    assert json.loads((project.exports / "b" / "card.json").read_text())["name"] == "b"
