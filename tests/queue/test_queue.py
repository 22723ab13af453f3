"""The live queue against the fake server: results, retries, stops, budget, control, bad output, recovery."""

from __future__ import annotations

import asyncio
import time

import pytest

from core.queue.events import JobFailed, JobFinished, JobStarted, QueuePaused, QueueStopped
from core.queue.jobs import enqueue, job_key, recover, select_passages
from core.templates import load_templates
from tests.queue.conftest import add_passages, make_queue

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def test_jobs_become_examples_with_provenance(project, db, fake_anthropic):
    add_passages(db, 3, templates=("monologue", "uncertainty"))
    hooked, events = [], []
    queue = make_queue(project, db, fake_anthropic, on_example=hooked.append, on_event=events.append)
    summary = await queue.run()
    assert (summary.done, summary.failed, summary.pending) == (6, 0, 0)
    examples = db.examples.all()
    assert len(examples) == 6 and sorted(e.id for e in hooked) == sorted(e.id for e in examples)
    templates = {t.id: t for t in load_templates(project)}
    for example in examples:
        job = db.jobs.get(example.job_id)
        assert job.status == "done" and job.example_id == example.id and job.attempts == 1
        assert [m["role"] for m in example.messages] == ["system", "user", "assistant"]
        assert example.template_version == templates[example.template_id].version
        assert example.book_id == db.passages.get(example.passage_id).book_id
        assert example.teacher == "anthropic:claude-sonnet-4-6" and example.cost_usd > 0
        assert set(example.usage) == {"input", "output", "cache_read", "cache_write"}
        assert example.messages[2]["content"] and db.passages.get(example.passage_id).text in example.messages[1]["content"]
    assert sum(isinstance(e, JobStarted) for e in events) == 6
    assert sum(isinstance(e, JobFinished) for e in events) == 6 and isinstance(events[-1], QueueStopped)
    assert summary.stats.cache_hit_rate() > 0.3  # static prefixes are read from the cache after the first
    keys = [r.idempotency_key for r in fake_anthropic.message_requests()]
    assert len(set(keys)) == 6 and set(keys) == {j.idempotency_key for j in db.jobs.all()}


async def test_enqueue_is_idempotent_and_skips_not_and_unchosen(project, db):
    passages = add_passages(db, 3, templates=("monologue",))
    db.passages.update(passages[1].id, verdict="not")
    db.passages.update(passages[2].id, template_ids=[])
    templates = load_templates(project, db)
    chosen = select_passages(db)
    assert [p.id for p in chosen] == [passages[0].id]
    first = enqueue(db, chosen, templates, "anthropic:m", samples=3)
    second = enqueue(db, chosen, templates, "anthropic:m", samples=3)
    assert (first.created, second.created, second.existing) == (3, 0, 3)
    assert {j.idempotency_key for j in db.jobs.all()} == {
        job_key(passages[0].id, "monologue", templates[0].version, s, "anthropic:m") for s in range(3)}
    assert select_passages(db, tag="nope") == [] and select_passages(db, book_id=999) == []


async def test_transient_failures_are_retried_honouring_retry_after(project, db, fake_anthropic):
    add_passages(db, 2)
    fake_anthropic.retry_after = "0.4"
    fake_anthropic.script("429", "529", "500", "timeout")
    fake_anthropic.timeout_sleep = 1.3
    events = []
    queue = make_queue(project, db, fake_anthropic, concurrency=1, on_event=events.append)
    started = time.monotonic()
    summary = await queue.run()
    assert (summary.done, summary.failed) == (2, 0) and summary.stats.retries == 4
    assert time.monotonic() - started >= 0.8  # two retry-after waits of 0.4 s
    retrying = [e for e in events if isinstance(e, JobFailed)]
    assert len(retrying) == 4 and all(e.retrying for e in retrying)
    assert db.jobs.all()[0].attempts == 5


async def test_retry_after_holds_back_every_worker(project, db, fake_anthropic):
    add_passages(db, 4)
    fake_anthropic.retry_after = "0.5"
    fake_anthropic.script("429")
    queue = make_queue(project, db, fake_anthropic, concurrency=4)
    await queue.run()
    times = [r.at for r in fake_anthropic.message_requests()]
    first_429 = times[0]
    # the three others were already in flight; the retried one and nothing later is sent before 0.5 s
    assert sorted(times)[-1] - first_429 >= 0.45


async def test_gives_up_after_max_retries(project, db, fake_anthropic):
    add_passages(db, 1)
    fake_anthropic.script("500", "500", "500")
    queue = make_queue(project, db, fake_anthropic, max_retries=2)
    summary = await queue.run()
    job = db.jobs.all()[0]
    assert summary.failed == 1 and job.status == "failed" and "gave up after 3 tries" in job.last_error


async def test_401_stops_the_queue_with_an_actionable_sentence(project, db, fake_anthropic):
    add_passages(db, 3)
    fake_anthropic.script("401")
    queue = make_queue(project, db, fake_anthropic, concurrency=1)
    summary = await queue.run()
    assert queue.stats.stop_reason == "fatal"
    assert "the api key is missing or wrong" in queue.stats.stop_message.lower()
    assert "ANTHROPIC_API_KEY" in queue.stats.stop_message and "teacher.api_key_file" in queue.stats.stop_message
    assert summary.done == 0 and summary.pending == 3 and db.examples.count() == 0
    assert len(fake_anthropic.message_requests()) == 1


async def test_budget_cap_stops_before_it_is_crossed(project, db, fake_anthropic):
    add_passages(db, 8)
    queue = make_queue(project, db, fake_anthropic, concurrency=2)
    worst = queue.worst_case(queue.prompt_for(queue.pending_jobs()[0])[0])
    assert 0.01 < worst < 0.05  # ~1,400 prompt tokens + 1,024 output at Sonnet prices
    budget = queue.config.budget_usd = worst * 1.5  # room for the worst case plus a few real (cheaper) jobs
    summary = await queue.run()
    assert queue.stats.stop_reason == "budget" and "budget" in queue.stats.stop_message
    assert 0 < summary.done < 8 and summary.pending == 8 - summary.done
    assert queue.stats.spent_usd <= budget and queue.stats.spent_usd + worst > budget
    assert sum(j.cost_usd for j in db.jobs.all()) == pytest.approx(queue.stats.spent_usd)


async def test_pause_resume_and_cancel(project, db, fake_anthropic):
    add_passages(db, 12)
    fake_anthropic.latency = 0.1
    events: asyncio.Queue = asyncio.Queue()
    queue = make_queue(project, db, fake_anthropic, concurrency=2, on_event=events)
    runner = asyncio.create_task(queue.run())
    while not isinstance(await events.get(), JobFinished):
        pass
    queue.pause()
    await asyncio.sleep(0.35)  # the two in flight finish; nothing new starts
    sent = len(fake_anthropic.message_requests())
    await asyncio.sleep(0.3)
    assert len(fake_anthropic.message_requests()) == sent and queue.stats.paused
    queue.resume()
    await asyncio.sleep(0.15)
    assert len(fake_anthropic.message_requests()) > sent
    queue.cancel()
    summary = await asyncio.wait_for(runner, 5)
    assert queue.stats.stop_reason == "cancelled"
    statuses = [j.status for j in db.jobs.all()]
    assert statuses.count("pending") == 0 and statuses.count("running") == 0
    assert statuses.count("cancelled") == summary.cancelled > 0 and statuses.count("done") == summary.done
    seen = []
    while not events.empty():
        seen.append(events.get_nowait())
    assert QueuePaused(True) in seen and QueuePaused(False) in seen
    # enqueueing again revives the cancelled jobs
    again = enqueue(db, select_passages(db), load_templates(project), queue.teacher.name)
    assert again.revived == summary.cancelled


async def test_stop_leaves_the_rest_pending(project, db, fake_anthropic):
    add_passages(db, 8)
    fake_anthropic.latency = 0.05
    queue = make_queue(project, db, fake_anthropic, concurrency=1)

    def on_event(event):
        if isinstance(event, JobFinished):
            queue.stop()

    queue.on_event = on_event
    summary = await queue.run()
    assert summary.done == 1 and summary.pending == 7 and queue.stats.stop_reason == "stopped"


@pytest.mark.parametrize("action, reason", [
    ("empty", "no text"), ("refusal", "refused"), ("cutoff", "max_tokens"), ("malformed", "could not be read"),
])
async def test_bad_output_is_a_failed_job_not_an_example(project, db, fake_anthropic, action, reason):
    add_passages(db, 2)
    fake_anthropic.script(action)
    queue = make_queue(project, db, fake_anthropic, concurrency=1)
    summary = await queue.run()
    failed = [j for j in db.jobs.all() if j.status == "failed"]
    assert summary.done == 1 and summary.failed == 1 and len(failed) == 1 and reason in failed[0].last_error
    assert db.examples.count() == 1 and failed[0].example_id == 0
    assert queue.stats.recent_errors[-1].reason == failed[0].last_error


async def test_a_conversation_cut_off_at_max_tokens_is_a_failed_job(project, db, fake_anthropic):
    # a tool call cut off mid-conversation is incomplete JSON: nothing in it can be trimmed back and kept
    add_passages(db, 1)
    fake_anthropic.script("long_cutoff")
    queue = make_queue(project, db, fake_anthropic)
    summary = await queue.run()
    job = db.jobs.all()[0]
    assert summary.failed == 1 and db.examples.count() == 0
    assert "cut off at max_tokens" in job.last_error and "raise teacher.max_tokens" in job.last_error


async def test_hook_failure_does_not_lose_the_example(project, db, fake_anthropic):
    add_passages(db, 2)

    def broken(example):
        raise RuntimeError("flagger bug")

    queue = make_queue(project, db, fake_anthropic, on_example=broken)
    summary = await queue.run()
    assert summary.done == 2 and db.examples.count() == 2
    assert "flagger bug" in queue.stats.recent_errors[-1].reason


async def test_recovery_after_a_crash(project, db, fake_anthropic):
    add_passages(db, 3)
    queue = make_queue(project, db, fake_anthropic)
    jobs = queue.pending_jobs()
    prompt, passage = queue.prompt_for(jobs[0])
    example = queue.store_example(jobs[0], prompt, passage, "text", {}, 0.0)  # written, then "killed"
    db.jobs.update(jobs[0].id, status="running", attempts=1)
    db.jobs.update(jobs[1].id, status="running", attempts=1)
    db.jobs.update(jobs[2].id, status="done", attempts=1)
    report = recover(db)
    assert (report.linked_to_example, report.reset_to_pending) == (1, 1)
    assert db.jobs.get(jobs[0].id).status == "done" and db.jobs.get(jobs[0].id).example_id == example.id
    summary = await queue.run()
    assert summary.done == 1 and len(fake_anthropic.message_requests()) == 1
    assert fake_anthropic.message_requests()[0].idempotency_key == jobs[1].idempotency_key


async def test_preflight_estimate(project, db, fake_anthropic):
    add_passages(db, 4, templates=("monologue", "continuity"))
    queue = make_queue(project, db, fake_anthropic)
    estimate = await queue.estimate()
    assert estimate.jobs == 8 and estimate.exact and estimate.prompt_tokens > 8 * 800
    assert 0 < estimate.cost_usd < estimate.worst_case_usd
    assert estimate.max_output_tokens == 8 * 1024
    text = estimate.describe()
    assert "cache" in text and "counted" in text and "$" in text
    fake_anthropic.count_tokens_enabled = False
    queue2 = make_queue(project, db, fake_anthropic)
    rough = await queue2.estimate()
    assert not rough.exact and "estimated as characters / 3.5" in rough.describe()
    fake_anthropic.count_tokens_enabled = True
    batch = await make_queue(project, db, fake_anthropic, batch=True).estimate()
    assert batch.cost_usd == pytest.approx(estimate.cost_usd / 2, rel=0.01)


async def test_abort_leaves_in_flight_jobs_for_the_next_run(project, db, fake_anthropic):
    add_passages(db, 4)
    fake_anthropic.latency = 0.3
    events: asyncio.Queue = asyncio.Queue()
    queue = make_queue(project, db, fake_anthropic, concurrency=2, on_event=events)
    runner = asyncio.create_task(queue.run())
    while not isinstance(await events.get(), JobStarted):
        pass
    queue.abort()
    await asyncio.wait_for(runner, 5)
    statuses = sorted(j.status for j in db.jobs.all())
    assert "running" in statuses and "cancelled" not in statuses and "done" not in statuses
    again = make_queue(project, db, fake_anthropic, concurrency=2)
    summary = await again.run()
    assert summary.done == 4 and again.recovery.reset_to_pending == statuses.count("running")
