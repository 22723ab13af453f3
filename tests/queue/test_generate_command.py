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


def test_generated_examples_arrive_with_quality_flags(project, fake_anthropic, capsys):
    with Database(project.db_path) as db:
        add_passages(db, 2, templates=("monologue",), tag="grief")
    fake_anthropic.model_text = (
        "As I reflect on that morning, I find myself returning to the window where the light fell across the "
        "table, and a wave of emotion washed over me as I remembered her voice calling from the garden, the "
        "sound of it thin and far away, and I did not answer, and I still do not know why I did not answer.")
    assert main(["generate", "--project", str(project.root), "--samples", "2", "--yes"]) == 0
    capsys.readouterr()
    with Database(project.db_path) as db:
        examples = db.examples.all()
        assert len(examples) == 4
        for example in examples:
            codes = {flag["code"] for flag in example.flags}
            assert "cliche" in codes or "formulaic-opening" in codes, example.flags
            assert "near-duplicate" in codes, example.flags  # the same text four times


def test_retry_failed_and_the_run_budget_from_the_command_line(project, fake_anthropic, capsys):
    from core.queue import job_counts, retry_failed

    with Database(project.db_path) as db:
        add_passages(db, 3)
    fake_anthropic.script("refusal")
    root = str(project.root)
    assert main(["generate", "--project", root, "--yes"]) == 0
    assert "2 done, 1 failed" in capsys.readouterr().out
    teacher = "anthropic:claude-sonnet-4-6"
    with Database(project.db_path) as db:
        assert job_counts(db, teacher) == {"pending": 0, "running": 0, "done": 2, "failed": 1, "cancelled": 0}
    assert main(["generate", "--project", root, "--yes", "--retry-failed"]) == 0
    out = capsys.readouterr().out
    assert "1 done, 0 failed" in out and "for this teacher in this project" in out
    with Database(project.db_path) as db:
        assert retry_failed(db, teacher) == 0 and job_counts(db, teacher)["done"] == 3
        add_passages(db, 2, book_title="More")
    assert main(["generate", "--project", root, "--yes", "--run-budget", "0.001"]) == 0
    out = capsys.readouterr().out
    assert "0 done" in out and "this run's budget of $0.00" in out and "--run-budget" in out
