"""The command line's shared behaviour: --project anywhere, errors as one line with exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_the_command_groups(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "--project" in capsys.readouterr().out


def test_every_subcommand_accepts_project_after_its_name(tmp_path: Path) -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert sub.choices, "no subcommands registered"
    for name, subparser in sub.choices.items():
        options = {s for a in subparser._actions for s in a.option_strings}
        assert "--project" in options, name


def test_a_bad_settings_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "interiority.toml").write_text("[queue]\nconcurrency = -3\n")
    result = subprocess.run([sys.executable, "-m", "core", "--project", str(project), "books"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("interiority: ")
    assert "queue.concurrency" in result.stderr
    assert "Traceback" not in result.stderr
