"""Malformed answers, retry-after abuse and a full disk never crash the queue (issue 13 item 7)."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import sys
import time

import pytest

from core.queue.events import JobFinished, RetryWaiting
from store import Database
from tests.queue.conftest import add_passages, make_queue

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def never_retrieved(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "never retrieved" in r.getMessage()]


def inject_enospc(db, full: dict, monkeypatch) -> None:
    """Make the journal's writes fail with ENOSPC while `full["on"]`, at the OS call the store makes."""
    module = sys.modules[type(db.db.journal).__module__]

    def no_space() -> OSError:
        return OSError(errno.ENOSPC, "No space left on device")

    if hasattr(module, "write_all"):
        real = module.write_all

        def write_all(fd, payload):
            if full["on"]:
                raise no_space()
            return real(fd, payload)

        monkeypatch.setattr(module, "write_all", write_all)
    else:
        class FullDiskOs:
            def __getattr__(self, name):
                return getattr(os, name)

            def write(self, fd, payload):
                if full["on"]:
                    raise no_space()
                return os.write(fd, payload)

        monkeypatch.setattr(module, "os", FullDiskOs())


@pytest.mark.parametrize("action, reason", [
    ("bad_usage", "impossible usage.output_tokens ('lots')"),
    ("no_content", "without content"),
    ("negative_usage", "impossible usage.output_tokens (-1000000)"),
])
async def test_a_malformed_answer_is_a_failed_job_with_its_reason(project, db, fake_anthropic, caplog, action,
                                                                 reason):
    add_passages(db, 3)
    fake_anthropic.script(action)
    queue = make_queue(project, db, fake_anthropic, concurrency=1)
    summary = await queue.run()
    failed = [j for j in db.jobs.all() if j.status == "failed"]
    assert (summary.done, summary.failed) == (2, 1) and reason in failed[0].last_error
    assert not [j for j in db.jobs.all() if j.status == "running"] and not never_retrieved(caplog)
    assert failed[0].cost_usd > 0  # answered, so possibly billed: charged at its worst case


async def test_a_lone_surrogate_is_stored_replaced_and_the_database_reopens(project, db, fake_anthropic):
    add_passages(db, 2)
    fake_anthropic.script("surrogate")
    queue = make_queue(project, db, fake_anthropic, concurrency=1)
    summary = await queue.run()
    assert summary.done == 2 and not [j for j in db.jobs.all() if j.status == "running"]
    texts = [e.completion for e in db.examples.all()]
    assert any(t.startswith("\ufffd ") for t in texts)
    db.close()
    with Database(project.db_path) as again:
        assert any(e.completion.startswith("\ufffd ") for e in again.examples.all())


@pytest.mark.parametrize("retry_after", ["inf", "1e12", "Fri, 31 Dec 9999 23:59:59 GMT", "nan"])
async def test_absurd_retry_after_is_capped_at_60_s_and_shown(project, db, fake_anthropic, retry_after):
    add_passages(db, 2)
    fake_anthropic.retry_after = retry_after
    fake_anthropic.script("429")
    waits: list[RetryWaiting] = []
    queue = make_queue(project, db, fake_anthropic, concurrency=1)

    def on_event(event):
        if isinstance(event, RetryWaiting):
            waits.append(event)
            assert 50 < queue.stats.waiting_s() <= 60 and queue.stats.wait_reason
            queue.stop()  # the user gives up waiting: the stop is not held up by the wait

    queue.on_event = on_event
    started = time.monotonic()
    summary = await asyncio.wait_for(queue.run(), 5)
    assert time.monotonic() - started < 2
    if retry_after == "nan":
        assert waits == [] and summary.done == 2  # unreadable: the queue's own short backoff applied
    else:
        assert len(waits) == 1 and waits[0].delay_s == 60 and "429" in waits[0].reason and summary.pending == 2


async def test_a_full_disk_stops_the_run_in_one_sentence_and_nothing_stored_is_sent_again(
        project, db, fake_anthropic, caplog, monkeypatch):
    add_passages(db, 10)
    fake_anthropic.latency = 0.05
    full = {"on": False}
    inject_enospc(db, full, monkeypatch)
    queue = make_queue(project, db, fake_anthropic, concurrency=3)

    def on_event(event):
        if isinstance(event, JobFinished) and event.job_id and not full["on"]:
            full["on"] = True  # the disk fills after the first answer is stored

    queue.on_event = on_event
    summary = await asyncio.wait_for(queue.run(), 10)
    assert queue.stats.stop_reason == "store" and "free some disk space" in queue.stats.stop_message
    assert "\n" not in queue.stats.stop_message and not never_retrieved(caplog)
    sent_while_full = len(fake_anthropic.message_requests())
    assert sent_while_full <= 1 + 3  # the stored one and those already in flight; nothing new after
    assert summary.done >= 1
    full["on"] = False  # space freed: the next run finishes, and no stored answer is requested again
    again = make_queue(project, db, fake_anthropic, concurrency=3)
    assert (await again.run()).done + summary.done == 10
    assert not [j for j in db.jobs.all() if j.status == "running"]
    answered = fake_anthropic.answered_keys
    stored_keys = {db.jobs.get(e.job_id).idempotency_key for e in db.examples.all()}
    assert len(stored_keys) == 10
    first_stored = [db.jobs.get(e.job_id).idempotency_key for e in db.examples.all()][0]
    assert answered[first_stored] == 1


async def test_an_exception_from_the_teacher_fails_the_job_not_the_run(project, db, fake_anthropic, caplog):
    add_passages(db, 3)
    queue = make_queue(project, db, fake_anthropic, concurrency=1)
    real = queue.teacher.generate
    calls = {"n": 0}

    async def flaky(request):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyError("a bug deep in a client")
        return await real(request)

    queue.teacher.generate = flaky
    summary = await queue.run()
    failed = [j for j in db.jobs.all() if j.status == "failed"]
    assert (summary.done, summary.failed) == (2, 1) and "KeyError" in failed[0].last_error
    assert not [j for j in db.jobs.all() if j.status == "running"] and not never_retrieved(caplog)


def test_the_asyncio_logger_is_watched(caplog):
    """The helper above sees asyncio's "never retrieved" reports (so its absence means something)."""
    caplog.set_level(logging.ERROR, logger="asyncio")
    logging.getLogger("asyncio").error("Task exception was never retrieved")
    assert never_retrieved(caplog)
