"""Backfill: examples made before student conversations get the user turn their answer responds to."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.cli import main
from core.queue.answers import BACKFILL_TOOL_NAME
from core.queue.backfill import backfill_key
from store import Database
from store.records import Job
from tests.queue.conftest import add_passages

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
ANSWER = ("The radiator knocked twice and I waited for the third, which never comes, and still I waited. "
          "{n} My tea had gone the colour of the table.")


def old_examples(db, templates: tuple[str, ...]) -> list[int]:
    """Examples as the queue stored them before student conversations: the teacher request and its answer."""
    passages = add_passages(db, len(templates))
    ids = []
    for index, (passage, template_id) in enumerate(zip(passages, templates)):
        (job,) = db.jobs.add_many([Job(passage_id=passage.id, template_id=template_id, template_version="v0",
                                       teacher="anthropic:claude-sonnet-4-6", status="done",
                                       idempotency_key=f"old{index}")])
        ids.append(db.jobs.insert_example(
            job_id=job.id, passage_id=passage.id, book_id=passage.book_id, template_id=template_id,
            template_version="v0", teacher="anthropic:claude-sonnet-4-6",
            messages=[{"role": "system", "content": "old system prompt"},
                      {"role": "user", "content": f"Task: write. <passage>{passage.text}</passage>"},
                      {"role": "assistant", "content": ANSWER.format(n=index)}]))
    return ids


def backfill(project, *extra: str) -> int:
    return main(["backfill", "--project", str(project.root), "--json", *extra])


def test_backfill_gives_each_old_example_its_user_turn_once(project, fake_anthropic, capsys):
    with Database(project.db_path) as db:
        ids = old_examples(db, ("monologue", "continuity", "conversation"))
        done_already = db.jobs.insert_example(template_id="monologue", student=[
            {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}], student_shape="single",
            messages=[{"role": "assistant", "content": "hello"}])
    assert backfill(project, "--yes") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["plan"] == {"to_queue": 3, "already_queued": 0, "failed": 0, "rejected": 0, "without_answer": 0}
    assert out["summary"]["done"] == 3 and out["estimate"]["cost_usd"] > 0
    with Database(project.db_path) as db:
        examples = {e.id: e for e in db.examples.all()}
        jobs = [j for j in db.jobs.all() if j.kind == "backfill"]
    assert sorted(j.example_id for j in jobs) == ids and all(j.status == "done" and j.cost_usd > 0 for j in jobs)
    for index, (example_id, shape) in enumerate(zip(ids, ("single", "single", "conversation"))):
        example = examples[example_id]
        assert example.student_shape == shape and [t["role"] for t in example.student] == ["user", "assistant"]
        assert example.student[1]["content"] == ANSWER.format(n=index)  # the answer, exactly
        assert 0 < len(example.student[0]["content"]) < 400 and "passage" not in example.student[0]["content"]
        assert example.messages[2]["content"] == ANSWER.format(n=index) and len(example.request_hash) == 64
    assert examples[done_already].student[0]["content"] == "hi"  # had one: not asked
    requests = fake_anthropic.message_requests()
    assert len(requests) == 3 and {r.idempotency_key for r in requests} == {
        backfill_key(i, "anthropic:claude-sonnet-4-6") for i in ids}
    for request in requests:
        assert request.body["tool_choice"] == {"type": "tool", "name": BACKFILL_TOOL_NAME}
        user = "".join(b["text"] for b in request.body["messages"][0]["content"])
        assert "<answer>" in user and "<passage>" not in user and "instruction backtranslation" in \
            request.body["system"][0]["text"]
    assert backfill(project, "--yes") == 0 and "Nothing to backfill" in capsys.readouterr().out
    assert len(fake_anthropic.message_requests()) == 3


def test_dry_run_costs_and_writes_nothing(project, fake_anthropic, capsys):
    with Database(project.db_path) as db:
        old_examples(db, ("monologue", "uncertainty"))
        lines_before = db.jobs.count()
    assert backfill(project, "--dry-run") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dry_run"] and out["plan"]["to_queue"] == 2 and out["estimate"]["jobs"] == 2
    assert 0 < out["estimate"]["cost_usd"] <= out["estimate"]["worst_case_usd"]
    with Database(project.db_path) as db:
        assert db.jobs.count() == lines_before and not any(e.student for e in db.examples.all())
    assert not fake_anthropic.message_requests()
    assert main(["backfill", "--project", str(project.root), "--dry-run"]) == 0
    assert "Would backfill 2 examples" in capsys.readouterr().out


def test_budget_cap_and_a_broken_answer(project, fake_anthropic, capsys):
    with Database(project.db_path) as db:
        ids = old_examples(db, ("monologue",) * 4)
    assert backfill(project, "--dry-run") == 0
    worst_each = json.loads(capsys.readouterr().out)["estimate"]["worst_case_usd"] / 4
    fake_anthropic.script("bad_turns")
    budget = f"{worst_each * 1.2:.6f}"  # room for the worst case of one request at a time, not for all four
    assert backfill(project, "--yes", "--budget", budget, "--concurrency", "1") == 0
    assert json.loads(capsys.readouterr().out)["summary"]["stop_reason"] == "budget"
    with Database(project.db_path) as db:
        jobs = {j.example_id: j for j in db.jobs.all() if j.kind == "backfill"}
        assert sum(j.status == "pending" for j in jobs.values()) >= 1  # stopped at the cap, still queued
        failed = [j for j in jobs.values() if j.status == "failed"]
        assert len(failed) == 1 and "no user turn" in failed[0].last_error
        assert not db.examples.get(failed[0].example_id).student
    # generating never sends backfill jobs; backfilling again finishes them
    assert main(["generate", "--project", str(project.root), "--yes", "--json"]) == 0
    with Database(project.db_path) as db:
        assert sum(j.status == "pending" for j in db.jobs.all() if j.kind == "backfill") >= 1
    assert backfill(project, "--yes") == 0
    with Database(project.db_path) as db:
        have = {e.id for e in db.examples.all() if e.student and e.id in ids}
    assert have == set(ids) - {failed[0].example_id}


def run_backfill(project_root: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "core", "--project", str(project_root), "backfill", "--yes",
                             "--concurrency", "4", "--json"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigkill_mid_backfill_then_resume_pays_nothing_twice(project, fake_anthropic):
    with Database(project.db_path) as db:
        ids = old_examples(db, ("monologue", "continuity") * 8)
    fake_anthropic.latency = 0.15
    child = run_backfill(project.root)
    deadline = time.monotonic() + 60
    while sum(fake_anthropic.answered_keys.values()) < 6:
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the child never got going"
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    with Database(project.db_path) as db:
        finished = {j.idempotency_key for j in db.jobs.all() if j.kind == "backfill" and j.status == "done"}
        with_student = {e.id for e in db.examples.all() if e.student}
    assert finished and len(finished) == len(with_student)  # the example and its job change together
    time.sleep(0.5)  # requests the killed child had on the wire land before the rerun starts
    rerun_started = time.time()
    out, err = run_backfill(project.root).communicate(timeout=120)
    assert json.loads(out)["summary"]["failed"] == 0, err
    with Database(project.db_path) as db:
        jobs = [j for j in db.jobs.all() if j.kind == "backfill"]
        assert len(jobs) == 16 and all(j.status == "done" for j in jobs)
        assert all(len(e.student) == 2 for e in db.examples.all())
    resent = [r.idempotency_key for r in fake_anthropic.message_requests() if r.at > rerun_started]
    assert not set(resent) & finished, "a backfill that was done was sent again"
    assert len(resent) == len(set(resent)) == 16 - len(finished) and len(ids) == 16


def test_failed_and_rejected_examples(project, fake_anthropic, capsys):
    with Database(project.db_path) as db:
        ids = old_examples(db, ("monologue",) * 3)
        db.examples.update(ids[2], status="rejected")
    fake_anthropic.script("bad_turns")
    assert backfill(project, "--yes", "--concurrency", "1") == 0
    assert json.loads(capsys.readouterr().out)["plan"]["rejected"] == 1  # never exported: not paid for
    assert main(["backfill", "--project", str(project.root), "--yes"]) == 0
    said = capsys.readouterr().out
    assert "except 1 whose backfill failed; add --retry-failed" in said and "1 rejected" in said
    assert backfill(project, "--yes", "--retry-failed") == 0
    assert json.loads(capsys.readouterr().out)["summary"]["done"] == 1
    with Database(project.db_path) as db:
        assert [bool(db.examples.get(i).student) for i in ids] == [True, True, False]
    assert len(fake_anthropic.message_requests()) == 3
