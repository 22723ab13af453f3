"""Drive the real studio in a real terminal (tmux): start it, switch screens, open help, quit.

Skipped where tmux is missing.  It checks what a person would see (capture-pane),
and that quitting leaves the project's database closed (it can be opened again).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.tui.conftest import NOTES

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
REPO = Path(__file__).resolve().parents[2]


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def _wait_for(session: str, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-t", session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear within {timeout} s; the screen shows:\n{screen}")


def test_the_studio_runs_in_tmux(tmp_path, corpus):
    project = tmp_path / "project"
    subprocess.run([sys.executable, "-m", "core", "--project", str(project), "import", str(corpus / NOTES)],
                   check=True, cwd=REPO, capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    session = f"interiority-{uuid.uuid4().hex[:8]}"
    command = f"cd {REPO} && {sys.executable} -m core --project {project}; sleep 2"
    _tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", command)
    try:
        _wait_for(session, "Notes from the Underground")
        screen = _wait_for(session, "1 Library")
        assert "Dostoevsky" in screen
        _tmux("send-keys", "-t", session, "Enter")
        # The reader, by its status line: its tagging sidebar hides under 100 columns (issue 18), and a
        # COLUMNS=80 in the tmux server's environment (whoever started the server) makes the studio draw at 80.
        _wait_for(session, "Notes from the Underground  \u00b7  ")
        _tmux("send-keys", "-t", session, "F1")
        _wait_for(session, "Keys of every screen")
        # `q` closes help: a bare Escape followed at once by "1" reaches the app as alt+1.
        _tmux("send-keys", "-t", session, "q")
        _tmux("send-keys", "-t", session, "1")
        _wait_for(session, "Import a file")  # the library is back
        _tmux("send-keys", "-t", session, "C-q")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "Dostoevsky" in _tmux("capture-pane", "-p", "-t", session):
            time.sleep(0.2)
        assert "Dostoevsky" not in _tmux("capture-pane", "-p", "-t", session)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    from store import Database, StoreLockedError

    # The app released its lock on exit (the screen clears a moment before the process ends).
    deadline = time.monotonic() + 20
    while True:
        try:
            Database(project / "db").close()
            break
        except StoreLockedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
