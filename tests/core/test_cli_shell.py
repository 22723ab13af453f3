"""The CLI entry's promises: one sentence and exit 2 for what the world does to a command, quiet exit 0 on a closed pipe.

The failing commands come from `tests.core.fake_commands`, added to the parser
for these tests, so each case runs the real `main` end to end.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import cli
from core.cli import CommandContext, main
from core.errors import ProjectError

ROOT = Path(__file__).resolve().parents[2]
FAKE = "tests.core.fake_commands"


@pytest.fixture(autouse=True)
def _fake_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", [*cli.COMMAND_MODULES, FAKE])


@pytest.mark.parametrize("how, path, fix", [
    ("enospc", "/p/db/journal.jsonl", "free some space"),
    ("erofs", "/p/exports/build-1/train.jsonl", "writable disk"),
    ("eacces", "/p/library/book.txt", "make it writable"),
    ("nameless", "a file of the project", "check the disk"),
])
def test_an_os_error_is_one_sentence_naming_the_path_and_the_fix(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str, path: str, fix: str) -> None:
    assert main(["--project", str(tmp_path / "p"), "test-fail", how]) == 2
    err = capsys.readouterr().err
    assert err.startswith("interiority: Cannot finish: ") and path in err and fix in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("argv", [["--project", ""], ["--project="], ["--project", "  "],
                                  ["--project", "", "test-project"], ["test-project", "--project", ""]])
def test_an_empty_project_is_an_error_not_the_default_project(
        capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    home = Path(os.environ["INTERIORITY_HOME"])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("interiority: --project was given an empty path") and err.count("\n") == 1
    assert not home.exists()  # the default project was not created (nor opened)


def test_a_read_only_project_folder_is_a_sentence(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "p"
    assert main(["--project", str(project), "test-project"]) == 0
    capsys.readouterr()
    real_access = os.access
    # Tests may run as root, for whom chmod does not make a folder read-only: answer as a read-only disk does.
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p).startswith(str(project)) else real_access(p, mode))
    assert main(["--project", str(project), "test-project"]) == 2
    err = capsys.readouterr().err
    assert f"The project folder {project} is read-only" in err and "chmod -R u+w" in err and err.count("\n") == 1


def test_a_read_only_file_system_under_the_studio_is_a_sentence(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import store.database

    def refuse(self: object, path: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(Path(str(path)) / "lock"))

    monkeypatch.setattr(store.database.Database, "__init__", refuse)
    assert main(["--project", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "the file system is read-only at" in err and str(tmp_path / "p" / "db" / "lock") in err
    assert "Traceback" not in err


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_ends_quietly_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ctx = CommandContext(project_arg=str(tmp_path / "p"), out=_ClosedPipe())

    def work() -> int:
        ctx.print("first line")
        return 0

    assert cli._guarded(ctx, work) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("argv", [["test-lines"], ["models"]])
def test_a_closed_pipe_ends_quietly_with_exit_0(tmp_path: Path, argv: list[str]) -> None:
    """`interiority ... | head`: the reader goes away; no traceback, no "Exception ignored", exit 0."""
    code = f"import sys; from core import cli; cli.COMMAND_MODULES.append({FAKE!r}); sys.exit(cli.main(sys.argv[1:]))"
    process = subprocess.Popen([sys.executable, "-c", code, "--project", str(tmp_path / "p"), *argv],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `head` after its lines, but before the first write
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0, err
    assert err == ""


def test_an_unusable_project_path_is_a_sentence() -> None:
    from core.project import resolve_project_path

    with pytest.raises(ProjectError, match="not a usable path"):
        resolve_project_path("~no_such_user_h6/p")


def test_os_error_sentences_for_paths_sockets_and_bytes() -> None:
    import errno

    from core.errors import os_error_sentence

    assert os_error_sentence(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")) == (
        "Cannot finish: Connection refused (ConnectionRefusedError); check the connection or the disk and run it again.")
    assert os_error_sentence(OSError(errno.ENOSPC, "No space", b"/p/db/x")).endswith(
        "no space left on the device holding /p/db/x; free some space and run it again.")
    assert os_error_sentence(OSError(errno.ELOOP, "Too many levels of symbolic links", "/p/l")) == (
        "Cannot finish: Too many levels of symbolic links (/p/l); check that path and run it again.")
