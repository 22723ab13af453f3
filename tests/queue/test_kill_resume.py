"""SIGKILL the generating process mid-run, run it again: every job done exactly once, nothing paid twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from store import Database
from tests.queue.conftest import add_passages

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def generate(project_root: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "core", "--project", str(project_root), "generate", "--yes",
                             "--concurrency", "4", "--json"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigkill_mid_run_then_resume(project, fake_anthropic):
    with Database(project.db_path) as db:
        add_passages(db, 16, templates=("monologue", "desire-resistance"))
    fake_anthropic.latency = 0.15
    child = generate(project.root)
    deadline = time.monotonic() + 60
    while sum(fake_anthropic.answered_keys.values()) < 8:
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the child never got going"
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    with Database(project.db_path) as db:
        done_before = {j.idempotency_key for j in db.jobs.all() if j.status == "done"}
        statuses = {j.status for j in db.jobs.all()}
        # A kill between storing the example and marking its job done leaves a paid-for answer:
        # the rerun links it instead of asking again, so it counts as finished too.
        with_example = {e.job_id for e in db.examples.all()}
        finished_before = done_before | {j.idempotency_key for j in db.jobs.all() if j.id in with_example}
    assert done_before and "running" in statuses | {"pending"}
    # Requests the killed child had on the wire may still be read (and logged) by the server's
    # threads just after the kill; let them land so they are not counted as the rerun's.
    time.sleep(0.5)
    rerun_started = time.time()
    rerun = generate(project.root)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    with Database(project.db_path) as db:
        jobs = db.jobs.all()
        examples = db.examples.all()
    assert len(jobs) == 32 and all(j.status == "done" for j in jobs)
    assert len(examples) == 32 and sorted(e.job_id for e in examples) == sorted(j.id for j in jobs)
    assert {j.example_id for j in jobs} == {e.id for e in examples}
    resent = [r.idempotency_key for r in fake_anthropic.message_requests() if r.at > rerun_started]
    assert not set(resent) & finished_before, "a job that was done was sent again"
    assert len(resent) == len(set(resent)) == 32 - len(finished_before)
