"""`interiority generate`: preflight, confirmation, progress on stderr, summary line, JSON, batch mode."""

from __future__ import annotations

import json

import pytest

from core.cli import main
from store import Database
from tests.queue.conftest import add_passages

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_generate_live_then_nothing_left(project, fake_anthropic, capsys):
    with Database(project.db_path) as db:
        add_passages(db, 2, templates=("monologue", "conversation"), tag="grief")
        add_passages(db, 1, tag="joy", book_title="Other")
    root = str(project.root)
    assert main(["generate", "--project", root, "--tag", "grief", "--samples", "2", "--yes"]) == 0
    out, err = capsys.readouterr()
    assert "Queued 8 new jobs" in out and "Expected cost $" in out and "cache" in out
    assert "8 done, 0 failed, 0 pending" in out and "cache hit rate" in out
    assert "\r[" in err and "8/8" in err
    assert main(["generate", "--project", root, "--tag", "grief", "--samples", "2", "--yes"]) == 0
    assert "Nothing to generate" in capsys.readouterr().out
    assert main(["generate", "--project", root, "--json", "--yes", "--batch"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["enqueued"]["created"] == 1 and report["summary"]["done"] == 1
    assert report["summary"]["mode"] == "batch" and report["estimate"]["jobs"] == 1


def test_generate_needs_yes_without_a_terminal(project, fake_anthropic, capsys, monkeypatch):
    with Database(project.db_path) as db:
        add_passages(db, 1)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["generate", "--project", str(project.root)]) == 2
    assert "add --yes" in capsys.readouterr().err
    assert main(["generate", "--project", str(project.root), "--budget", "-1", "--yes"]) == 2
    assert "--budget must be greater than 0" in capsys.readouterr().err
