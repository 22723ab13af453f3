"""The budget cap against the fake server: validated usage, timeouts charged, lifetime and per-run caps,
kill-and-resume cycles (issue 13 item 6)."""

from __future__ import annotations

import asyncio

import pytest

from core.queue.events import JobStarted
from tests.queue.conftest import add_passages, make_queue

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def recorded(db, teacher: str) -> float:
    return sum(j.cost_usd for j in db.jobs.all() if j.teacher == teacher)


async def worst_of(queue) -> float:
    """A job's worst case as the run reserves it (after counting tokens exactly)."""
    await queue.estimate()
    return queue.worst_case(queue.prompt_for(queue.pending_jobs()[0])[0])


async def test_negative_usage_never_makes_spend_negative_nor_lets_every_job_run(project, db, fake_anthropic):
    add_passages(db, 12)
    fake_anthropic.set_failure_rates({"negative_usage": 1.0})
    queue = make_queue(project, db, fake_anthropic, concurrency=2)
    worst = await worst_of(queue)
    queue.config.budget_usd = worst * 3.5
    summary = await queue.run()
    assert queue.stats.stop_reason == "budget" and summary.done == 0
    assert 0 < summary.failed <= 3 and queue.stats.spent_usd >= 0
    failed = [j for j in db.jobs.all() if j.status == "failed"]
    assert all("impossible" in j.last_error and j.cost_usd == pytest.approx(worst, rel=0.05) for j in failed)
    assert recorded(db, queue.teacher.name) <= queue.config.budget_usd + 1e-9
    assert len(fake_anthropic.message_requests()) == summary.failed


async def test_output_above_max_tokens_is_not_trusted(project, db, fake_anthropic):
    add_passages(db, 2)
    fake_anthropic.script("huge_usage")
    queue = make_queue(project, db, fake_anthropic, concurrency=1)
    worst = await worst_of(queue)
    summary = await queue.run()
    failed = [j for j in db.jobs.all() if j.status == "failed"]
    assert summary.done == 1 and len(failed) == 1 and "max_tokens" in failed[0].last_error
    assert failed[0].cost_usd == pytest.approx(worst) and db.examples.count() == 1


async def test_a_request_timed_out_client_side_is_charged_its_worst_case(project, db, fake_anthropic):
    add_passages(db, 1)
    fake_anthropic.timeout_sleep = 1.2
    fake_anthropic.script("late")
    queue = make_queue(project, db, fake_anthropic, max_retries=0)
    worst = await worst_of(queue)
    summary = await queue.run()
    job = db.jobs.all()[0]
    assert summary.failed == 1 and "timed out" in job.last_error
    await asyncio.sleep(0.3)  # the server answers (and bills) after the client gave up
    assert sum(fake_anthropic.answered_keys.values()) == 1
    assert job.cost_usd == pytest.approx(worst) and queue.stats.spent_usd == pytest.approx(worst)


async def test_the_cap_is_the_teachers_lifetime_spend_across_runs(project, db, fake_anthropic):
    add_passages(db, 10)
    first = make_queue(project, db, fake_anthropic, concurrency=1)
    worst = await worst_of(first)
    cap = worst * 2
    first.config.budget_usd = cap
    done_first = (await first.run()).done
    spent_first = recorded(db, first.teacher.name)
    assert first.stats.stop_reason == "budget" and done_first > 0
    sent = len(fake_anthropic.message_requests())
    second = make_queue(project, db, fake_anthropic, concurrency=1, budget=cap)
    summary = await second.run()  # this run alone could afford a job; the project's spend cannot
    assert second.stats.stop_reason == "budget" and "recorded for it in this project" in second.stats.stop_message
    assert summary.done == 0 and len(fake_anthropic.message_requests()) == sent
    assert spent_first == pytest.approx(recorded(db, first.teacher.name)) and spent_first <= cap


async def test_an_optional_per_run_cap(project, db, fake_anthropic):
    add_passages(db, 6)
    queue = make_queue(project, db, fake_anthropic, concurrency=1)
    worst = await worst_of(queue)
    queue.config.run_budget_usd = worst * 1.2
    summary = await queue.run()
    assert queue.stats.stop_reason == "budget" and "this run's budget" in queue.stats.stop_message
    assert summary.done >= 1 and queue.stats.spent_usd <= worst * 1.2


async def test_kill_and_resume_cycles_never_cross_the_cap(project, db, fake_anthropic):
    add_passages(db, 12)
    fake_anthropic.latency = 0.15
    probe = make_queue(project, db, fake_anthropic)
    worst = await worst_of(probe)
    cap = worst * 4.5
    for _ in range(6):  # each run is killed while its requests are in flight (they are still answered)
        events: asyncio.Queue = asyncio.Queue()
        queue = make_queue(project, db, fake_anthropic, concurrency=3, budget=cap, on_event=events)
        runner = asyncio.create_task(queue.run())
        while not runner.done():
            try:
                if isinstance(await asyncio.wait_for(events.get(), 0.2), JobStarted):
                    break
            except asyncio.TimeoutError:
                pass
        queue.abort()
        await asyncio.wait_for(runner, 5)
        assert recorded(db, queue.teacher.name) <= cap + 1e-9
    await asyncio.sleep(0.3)
    answered = sum(fake_anthropic.answered_keys.values())
    actual = sum(e.cost_usd for e in db.examples.all())
    assert answered >= 3 and actual < cap  # what was billed and stored stays within the cap
    final = make_queue(project, db, fake_anthropic, concurrency=3, budget=cap)
    await final.run()
    assert recorded(db, final.teacher.name) <= cap + 1e-9 and final.stats.stop_reason == "budget"


async def test_judging_and_paragraph_ratings_count_against_the_same_cap(project, db, fake_anthropic):
    """One lifetime cap per teacher over everything the project asks of it: jobs, judging, finder ratings."""
    from store.comparisons import PairVerdict

    add_passages(db, 2)
    queue = make_queue(project, db, fake_anthropic, concurrency=1, budget=1.0)
    name = queue.teacher.name
    db.ratings.start(1, "v1", name, [0, 1, 2], worst_case_usd=0.6)  # a rating request never settled: its worst case
    db.comparisons.verdicts.add(PairVerdict(comparison_id=1, pair=0, judge="teacher", a_left=True, teacher=name,
                                            verdict="pending", cost_usd=0.3))
    db.comparisons.verdicts.add(PairVerdict(comparison_id=1, pair=1, judge="teacher", a_left=True, teacher=name,
                                            verdict="pending", cost_usd=0.3))
    db.comparisons.verdicts.add(PairVerdict(comparison_id=1, pair=1, judge="teacher", a_left=True, teacher=name,
                                            verdict="left", cost_usd=0.25))  # settles the reservation before it
    db.comparisons.verdicts.add(PairVerdict(comparison_id=1, pair=0, judge="teacher", a_left=True, teacher="other",
                                            verdict="left", cost_usd=5.0))  # another teacher's spend
    assert db.teacher_spent(name) == pytest.approx(0.6 + 0.3 + 0.25)
    summary = await queue.run()
    assert queue.stats.stop_reason == "budget" and summary.done == 0
    assert fake_anthropic.message_requests() == []
