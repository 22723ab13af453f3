"""The judge through Message Batches, against the fake Anthropic server's Batches API (the real SDK path).

The same verdicts as live judging at the batch price; a run killed after the batch was created polls that
batch again instead of paying twice (and a live run does not send what waits in a batch); a failed entry
fails only its pair-order, which the next run sends again; the budget cap stops before crossing.
"""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from core.cli import main
from core.evaluation.answers import Decoding
from core.evaluation.compare import compare
from core.evaluation.judge import (JUDGE_MAX_TOKENS, JudgeError, PairOrder, comparison_answers, estimate,
                                   in_batches, judge_comparison, judge_prompt, judge_spent, judge_summary,
                                   order_key, remaining_orders, shown_answers, standing_orders)
from core.evaluation.judge_batch import BatchJudge, batch_client, judge_comparison_batch
from core.teacher import make_teacher
from core.teacher.mlx_teacher import MLXTeacher
from core.teacher.pricing import estimate_tokens, worst_case_usd
from store.comparisons import PairVerdict
from store.jobs import SUBMITTING
from tests.evaluation.conftest import WORKER_ENV

DECODING = Decoding(max_tokens=3, temperature=0.0, top_p=0.0)
FIRST = "Conversation 1 stays with the person.\nVERDICT: 1"


def _compare(eval_project, a: str, b: str, seed: int):
    project, db = eval_project
    return compare(project, db, a, b, ["inner-life", "continuity"], n=4, seed=seed, decoding=DECODING,
                   env=WORKER_ENV).comparison


def _no_wait(seconds: float):
    return asyncio.sleep(0)


def _with_teacher(eval_project, use):
    project, _ = eval_project
    teacher = make_teacher(project.settings, project.root)

    async def go():
        try:
            return await use(teacher)
        finally:
            await teacher.aclose()

    return asyncio.run(go())


def _batch(eval_project, comparison, budget: float = 5.0):
    _, db = eval_project
    return _with_teacher(eval_project, lambda teacher: judge_comparison_batch(
        db, comparison, teacher, budget, poll_s=0.0, sleep=_no_wait))


def _teacher_name(eval_project) -> str:
    return _with_teacher(eval_project, lambda teacher: asyncio.sleep(0, teacher.name))


def _batch_requests(fake) -> int:
    return sum(len(batch["requests"]) for batch in fake.batches.values())


def test_a_first_preferring_judge_in_batches_gives_half_and_full_bias_at_the_batch_price(
        eval_project, fake_anthropic) -> None:
    project, db = eval_project
    fake_anthropic.model_text = FIRST
    fake_anthropic.batch_polls_before_end = 3  # the batch is "in progress" for two polls
    comparison = _compare(eval_project, "stage-200", "stage-500", seed=31)

    async def priced(teacher):
        return estimate(db, comparison, teacher), estimate(db, comparison, teacher, batch=True)

    live, batch = _with_teacher(eval_project, priced)
    assert batch.requests == live.requests == 8
    assert batch.worst_case_usd == pytest.approx(live.worst_case_usd * project.settings.teacher.batch_discount)
    spent_before = judge_spent(db, _teacher_name(eval_project))
    report = _batch(eval_project, comparison)
    assert report.sent == 8 and not report.failed and not report.stopped
    assert len(fake_anthropic.batches) == 1 and _batch_requests(fake_anthropic) == 8
    assert fake_anthropic.message_requests() == []  # nothing went live
    summary = judge_summary(db, comparison)
    assert summary["win_rate"]["win_rate"] == 0.5 and summary["win_rate"]["ties"] == 4
    assert summary["position_bias"] == 1.0
    exact = sum(event.cost_usd for event in standing_orders(db, comparison).values())
    assert judge_spent(db, _teacher_name(eval_project)) - spent_before == pytest.approx(exact, rel=1e-9)
    assert not in_batches(db, comparison)
    again = _batch(eval_project, comparison)  # resume with nothing left: no batch at all
    assert again.sent == 0 and len(fake_anthropic.batches) == 1


def test_a_run_killed_after_creating_its_batch_polls_it_again_and_pays_once(eval_project, fake_anthropic) -> None:
    project, db = eval_project
    fake_anthropic.model_text = "VERDICT: 2"
    fake_anthropic.batch_polls_before_end = 2
    comparison = _compare(eval_project, "stage-500", "stage-200", seed=32)
    name = _teacher_name(eval_project)
    spent_before = judge_spent(db, name)

    async def submit_and_die(teacher):  # the process ends right after the batch id was written
        judge = BatchJudge(db, comparison, teacher, 5.0, poll_s=0.0, sleep=_no_wait)
        await judge.submit(judge.to_send())
        return judge.flights

    flights = _with_teacher(eval_project, submit_and_die)
    assert len(flights) == 1 and len(in_batches(db, comparison)) == 8
    assert all(event.batch_id == next(iter(flights)) for event in in_batches(db, comparison).values())
    # the in-flight worst cases stay charged, and nothing is left for any path to send
    assert judge_spent(db, name) > spent_before
    assert remaining_orders(db, comparison) == []
    assert _with_teacher(eval_project, lambda t: asyncio.sleep(0, estimate(db, comparison, t, batch=True))).requests == 0
    live = _with_teacher(eval_project, lambda t: judge_comparison(db, comparison, t, 5.0, sleep=_no_wait))
    assert live.sent == 0 and fake_anthropic.message_requests() == []
    report = _batch(eval_project, comparison)
    assert report.sent == 8 and len(fake_anthropic.batches) == 1 and _batch_requests(fake_anthropic) == 8
    assert judge_summary(db, comparison)["position_bias"] == 1.0
    exact = sum(event.cost_usd for event in standing_orders(db, comparison).values())
    assert judge_spent(db, name) - spent_before == pytest.approx(exact, rel=1e-9)  # reservations settled


def test_orders_left_submitting_by_a_kill_are_sent_again_and_settled(eval_project, fake_anthropic) -> None:
    project, db = eval_project
    fake_anthropic.model_text = FIRST
    comparison = _compare(eval_project, "stage-200", "base", seed=33)
    assert len(_asked(db, comparison)) == 8
    name = _teacher_name(eval_project)
    spent_before = judge_spent(db, name)
    # the state a kill between creating the batch and writing its id leaves: pending, "submitting"
    db.comparisons.verdicts.add_many([PairVerdict(comparison_id=comparison.id, pair=0, judge="teacher",
                                                  a_left=a_left, teacher=name, verdict="pending", cost_usd=0.01,
                                                  batch_id=SUBMITTING) for a_left in (True, False)])
    assert judge_spent(db, name) == pytest.approx(spent_before + 0.02)
    assert PairOrder(0, True) in remaining_orders(db, comparison)
    report = _batch(eval_project, comparison)
    assert report.sent == 8 and not report.failed
    exact = sum(event.cost_usd for event in standing_orders(db, comparison).values())
    assert judge_spent(db, name) - spent_before == pytest.approx(exact, rel=1e-9)


def _asked(db, comparison) -> list[PairOrder]:
    """The pair-orders that need a request (two identical answers are a tie without one)."""
    answers = comparison_answers(db, comparison)
    return [order for order in remaining_orders(db, comparison)
            if len({tuple(a.replies) for a in shown_answers(comparison, answers, order)}) == 2]


def test_a_failed_entry_fails_its_pair_order_and_the_next_run_sends_only_it(eval_project, fake_anthropic) -> None:
    project, db = eval_project
    fake_anthropic.model_text = FIRST
    comparison = _compare(eval_project, "stage-500", "base", seed=34)
    asked = _asked(db, comparison)
    assert len(asked) >= 2
    order = asked[-1]
    broken = order_key(comparison, order)
    fake_anthropic.batch_outcomes[broken] = "errored"  # a request error: not worth resending in this run
    report = _batch(eval_project, comparison)
    assert report.sent == len(asked) - 1 and report.skipped_identical == 8 - len(asked)
    assert len(report.failed) == 1 and f"pair {order.pair}" in report.failed[0]
    assert remaining_orders(db, comparison) == [order]
    fake_anthropic.batch_outcomes.clear()
    report = _batch(eval_project, comparison)
    assert report.sent == 1 and not report.failed
    assert [entry["custom_id"] for entry in list(fake_anthropic.batches.values())[-1]["requests"]] == [broken]
    assert judge_summary(db, comparison)["pairs_judged"] == 4


def test_a_transient_entry_error_is_resubmitted_in_the_same_run(eval_project, fake_anthropic) -> None:
    project, db = eval_project
    fake_anthropic.model_text = FIRST
    comparison = _compare(eval_project, "stage-200", "stage-500", seed=35)
    assert len(_asked(db, comparison)) == 8
    flaky = order_key(comparison, PairOrder(2, True))
    fake_anthropic.batch_outcomes[flaky] = "errored_retryable"
    created = len(fake_anthropic.batches)

    async def clear_after_first_batch(seconds: float) -> None:
        if len(fake_anthropic.batches) > created:
            fake_anthropic.batch_outcomes.clear()  # the overload passes
        await asyncio.sleep(0)

    report = _with_teacher(eval_project, lambda teacher: judge_comparison_batch(
        db, comparison, teacher, 5.0, poll_s=0.0, sleep=clear_after_first_batch))
    assert report.sent == 8 and not report.failed
    assert len(fake_anthropic.batches) == created + 2 and remaining_orders(db, comparison) == []


def test_the_budget_cap_stops_batch_judging_before_crossing(eval_project, fake_anthropic) -> None:
    project, db = eval_project
    fake_anthropic.model_text = FIRST
    comparison = _compare(eval_project, "stage-500", "stage-200", seed=36)

    async def worst_cases(teacher):
        answers = comparison_answers(db, comparison)
        return [worst_case_usd(estimate_tokens(judge_prompt(*shown_answers(comparison, answers, o)).chars),
                               JUDGE_MAX_TOKENS, teacher.price_row(batch=True)) for o in remaining_orders(db, comparison)]

    worst = _with_teacher(eval_project, worst_cases)
    spent = judge_spent(db, _teacher_name(eval_project))
    report = _batch(eval_project, comparison, budget=spent + sum(worst[:3]) + worst[3] / 2)
    assert report.sent == 3 and "budget" in report.stopped and _batch_requests(fake_anthropic) == 3
    report = _batch(eval_project, comparison, budget=spent + 2 * sum(worst))
    assert report.sent == 5 and not report.stopped


def test_batches_need_the_anthropic_teacher(tiny_model) -> None:
    with pytest.raises(JudgeError, match="needs the Anthropic teacher.*drop --batch"):
        batch_client(MLXTeacher(tiny_model))


def _run(argv: list[str], monkeypatch) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_cli_compare_with_the_judge_in_batches(eval_project, fake_anthropic, monkeypatch) -> None:
    project, db = eval_project
    fake_anthropic.model_text = FIRST
    monkeypatch.setenv("MLX_DISABLE_COMPILE", "1")
    db.close()  # the CLI opens its own Database
    try:
        base = ["--project", str(project.root), "compare", "stage-200", "stage-500", "--probes", "inner-life",
                "--n", "3", "--max-tokens", "3", "--temperature", "0", "--seed", "37"]
        code, out, err = _run(base + ["--batch"], monkeypatch)
        assert code == 2 and "add --judge teacher" in err and "Traceback" not in err
        code, out, err = _run(base + ["--judge", "teacher", "--batch"], monkeypatch)
        assert code == 0 and "6 requests in Message Batches" in err and "--yes" in err
        assert not fake_anthropic.batches  # the estimate comes first; nothing is sent without --yes
        code, out, err = _run(base + ["--judge", "teacher", "--batch", "--yes", "--json"], monkeypatch)
        assert code == 0, err
        judged = json.loads(out)["judge"]
        assert judged["batch"] is True and judged["sent"] == 6 and judged["position_bias"] == 1.0
        assert judged["win_rate"]["win_rate"] == 0.5 and fake_anthropic.message_requests() == []
        code, out, err = _run(base + ["--judge", "teacher", "--batch", "--yes"], monkeypatch)
        assert code == 0 and "Teacher (both orders)" in out and len(fake_anthropic.batches) == 1
    finally:
        db.__init__(project.db_path)
