"""Batch mode: out-of-order results, errored/expired/cancelled entries, the discount, resuming after a restart."""

from __future__ import annotations

import pytest

from core.queue.events import BatchSubmitted
from tests.queue.conftest import add_passages, make_queue

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def batch_creates(server):
    return [r for r in server.requests if r.method == "POST" and r.path == "/v1/messages/batches"]


async def test_batch_results_out_of_order_with_failed_entries(project, db, fake_anthropic):
    add_passages(db, 6)
    queue = make_queue(project, db, fake_anthropic, batch=True, max_retries=2)
    jobs = queue.pending_jobs()
    keys = [j.idempotency_key for j in jobs]
    fake_anthropic.batch_outcomes = {keys[0]: "errored", keys[1]: "expired", keys[2]: "errored_retryable"}
    summary = await queue.run()
    creates = batch_creates(fake_anthropic)
    assert [r["custom_id"] for r in creates[0].body["requests"]] == keys
    first_params = creates[0].body["requests"][0]["params"]
    assert first_params["system"][0]["cache_control"] == {"type": "ephemeral"}
    # expired and transient entries are submitted again (the fake keeps failing them until max_retries)
    assert len(creates) == 3 and [len(c.body["requests"]) for c in creates] == [6, 2, 2]
    by_id = {j.id: j for j in db.jobs.all()}
    assert by_id[jobs[0].id].status == "failed" and "invalid_request_error" in by_id[jobs[0].id].last_error
    assert by_id[jobs[1].id].status == "failed" and "expired" in by_id[jobs[1].id].last_error
    assert by_id[jobs[2].id].status == "failed" and by_id[jobs[2].id].attempts == 3
    assert (summary.done, summary.failed) == (3, 3) and db.examples.count() == 3
    live = fake_anthropic.usage_for  # cost at half the live price
    for job in jobs[3:]:
        done = by_id[job.id]
        assert done.status == "done" and done.batch_id
        price = queue.teacher.price_row(batch=True)
        expected = sum(done.usage[k] * price[k] for k in ("input", "output", "cache_read", "cache_write")) / 1e6
        assert done.cost_usd == pytest.approx(expected)
    assert price["input"] == queue.teacher.price_row()["input"] / 2 and live


async def test_an_expired_entry_succeeds_when_submitted_again(project, db, fake_anthropic):
    add_passages(db, 2)
    queue = make_queue(project, db, fake_anthropic, batch=True)
    first = queue.pending_jobs()[0].idempotency_key
    fake_anthropic.batch_outcomes = {first: "expired"}
    submitted = []
    queue.on_event = lambda e: (submitted.append(e), isinstance(e, BatchSubmitted) and fake_anthropic.batch_outcomes.clear()
                                if len(submitted) > 3 else None)
    summary = await queue.run()
    assert summary.done == 2 and summary.failed == 0
    assert sum(isinstance(e, BatchSubmitted) for e in submitted) == 2


async def test_polling_resumes_after_a_restart(project, db, fake_anthropic):
    add_passages(db, 4)
    fake_anthropic.batch_polls_before_end = 10_000  # the batch will not end in the first run
    queue = make_queue(project, db, fake_anthropic, batch=True)

    def stop_after_submit(event):
        if isinstance(event, BatchSubmitted):
            queue.stop()

    queue.on_event = stop_after_submit
    await queue.run()
    jobs = db.jobs.all()
    batch_id = jobs[0].batch_id
    assert batch_id.startswith("msgbatch_") and all(j.status == "running" and j.batch_id == batch_id for j in jobs)
    # a new process: the batch has ended meanwhile
    fake_anthropic.batches[batch_id]["polls_left"] = 1
    again = make_queue(project, db, fake_anthropic, batch=True)
    summary = await again.run()
    assert summary.done == 4 and len(batch_creates(fake_anthropic)) == 1, "nothing submitted twice"
    assert again.recovery is not None and again.recovery.batch_jobs == 4


async def test_cancel_a_batch(project, db, fake_anthropic):
    add_passages(db, 3)
    fake_anthropic.batch_polls_before_end = 10_000
    queue = make_queue(project, db, fake_anthropic, batch=True)
    queue.on_event = lambda e: queue.cancel() if isinstance(e, BatchSubmitted) else None
    summary = await queue.run()
    assert summary.cancelled == 3 and queue.stats.stop_reason == "cancelled"
    assert any(r.path.endswith("/cancel") for r in fake_anthropic.requests)


async def test_batch_budget(project, db, fake_anthropic):
    add_passages(db, 6)
    queue = make_queue(project, db, fake_anthropic, batch=True)
    worst = queue.worst_case(queue.prompt_for(queue.pending_jobs()[0])[0])
    queue.config.budget_usd = worst * 2.5
    summary = await queue.run()
    creates = batch_creates(fake_anthropic)
    assert len(creates[0].body["requests"]) == 2 and queue.stats.stop_reason == "budget"
    assert summary.done == 2 and summary.pending == 4


async def test_a_resumed_batch_settles_its_recorded_reservations(project, db, fake_anthropic):
    add_passages(db, 3)
    fake_anthropic.batch_polls_before_end = 10_000
    queue = make_queue(project, db, fake_anthropic, batch=True)

    def stop_after_submit(event):
        if isinstance(event, BatchSubmitted):
            queue.stop()

    queue.on_event = stop_after_submit
    await queue.run()
    reserved = sum(j.cost_usd for j in db.jobs.all())
    assert reserved > 0  # the in-flight batch's worst cases are recorded: a kill now cannot overspend
    batch_id = db.jobs.all()[0].batch_id
    fake_anthropic.batches[batch_id]["polls_left"] = 1
    again = make_queue(project, db, fake_anthropic, batch=True)
    summary = await again.run()
    assert summary.done == 3
    actual = sum(e.cost_usd for e in db.examples.all())
    assert sum(j.cost_usd for j in db.jobs.all()) == pytest.approx(actual) and actual < reserved
    assert again.stats.spent_usd == pytest.approx(actual)
