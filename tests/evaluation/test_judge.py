"""The teacher as judge against the fake Anthropic server (the real SDK path).

A judge that always prefers the answer shown first must come out as a 50% win rate (every pair splits into
a tie) with a position-bias rate of 100%; identical models tie without a request; the budget cap stops
before crossing and a rerun resumes with only what is missing.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.evaluation.answers import Decoding
from core.evaluation.compare import compare, comparison_outcomes
from core.evaluation.judge import (JUDGE_MAX_TOKENS, RUBRIC, comparison_answers, estimate, judge_comparison,
                                   judge_prompt, judge_spent, judge_summary, parse_verdict, remaining_orders,
                                   shown_answers, standing_orders)
from core.teacher.pricing import estimate_tokens, worst_case_usd
from core.teacher import TeacherOutputError, make_teacher
from tests.evaluation.conftest import WORKER_ENV

DECODING = Decoding(max_tokens=3, temperature=0.0, top_p=0.0)
FIRST = "Conversation 1 stays with the person.\nVERDICT: 1"


def _compare(eval_project, a: str, b: str, seed: int):
    project, db = eval_project
    return compare(project, db, a, b, ["inner-life", "continuity"], n=4, seed=seed, decoding=DECODING,
                   env=WORKER_ENV)


def _teacher_name(eval_project) -> str:
    project, _ = eval_project
    teacher = make_teacher(project.settings, project.root)
    asyncio.run(teacher.aclose())
    return teacher.name


def _worst_cases(eval_project, comparison) -> list[float]:
    """Each remaining pair-order's worst case, in the order the judge reserves them."""
    project, db = eval_project
    teacher = make_teacher(project.settings, project.root)
    asyncio.run(teacher.aclose())
    answers = comparison_answers(db, comparison)
    return [worst_case_usd(estimate_tokens(judge_prompt(*shown_answers(comparison, answers, order)).chars),
                           JUDGE_MAX_TOKENS, teacher.price_row()) for order in remaining_orders(db, comparison)]


def _judge(eval_project, comparison, budget: float = 5.0):
    project, db = eval_project
    teacher = make_teacher(project.settings, project.root)

    async def go():
        try:
            return await judge_comparison(db, comparison, teacher, budget, sleep=lambda s: asyncio.sleep(0))
        finally:
            await teacher.aclose()

    return asyncio.run(go())


def test_parse_verdict() -> None:
    assert parse_verdict("blah\nVERDICT: 1") == "left"
    assert parse_verdict("VERDICT: 1 ... no wait\nverdict: 2") == "right"
    assert parse_verdict("VERDICT: both bad") == "both-bad"
    assert parse_verdict("VERDICT: Tie") == "tie"
    with pytest.raises(TeacherOutputError, match="no VERDICT line"):
        parse_verdict("I like the first one")


@settings(max_examples=300, deadline=None)
@given(st.text(), st.sampled_from(["1", "2", "tie", "Tie", "both-bad", "both bad", "BOTH-BAD"]))
def test_parse_verdict_on_any_text(text: str, said: str) -> None:
    """Whatever the teacher writes, the parser gives one of the four verdicts or one sentence saying why not;
    a VERDICT line at the end decides, whatever came before it."""
    try:
        assert parse_verdict(text) in ("left", "right", "tie", "both-bad")
    except TeacherOutputError as exc:
        assert "no VERDICT line" in str(exc)
    expected = {"1": "left", "2": "right"}.get(said, said.lower().replace(" ", "-"))
    assert parse_verdict(f"{text}\nVERDICT: {said}") == expected


def test_rubric_names_the_method_questions() -> None:
    for phrase in ("genuine", "performed", "continuity", "earlier thoughts", "formulaic", "creative-writing"):
        assert phrase in RUBRIC


def test_a_first_preferring_judge_gives_half_and_full_position_bias(eval_project, fake_anthropic) -> None:
    project, db = eval_project
    fake_anthropic.model_text = FIRST
    comparison = _compare(eval_project, "stage-200", "stage-500", seed=21).comparison
    teacher = make_teacher(project.settings, project.root)
    before = estimate(db, comparison, teacher)
    asyncio.run(teacher.aclose())
    assert before.requests == 8 and before.worst_case_usd > 0  # 4 pairs x 2 orders, priced before sending
    spent_before = judge_spent(db, teacher.name)  # the project's judging so far (other tests share it)
    report = _judge(eval_project, comparison)
    assert report.sent == 8 and not report.failed and not report.stopped
    summary = judge_summary(db, comparison)
    assert summary["win_rate"]["win_rate"] == 0.5 and summary["win_rate"]["ties"] == 4
    assert summary["position_bias"] == 1.0
    assert len(fake_anthropic.message_requests()) == 8
    # the two orders really show the answers swapped
    bodies = [r.body["messages"][0]["content"][-1]["text"] for r in fake_anthropic.message_requests()]
    assert len(set(bodies)) == 8
    # resume: nothing left, nothing sent again
    again = _judge(eval_project, comparison)
    assert again.sent == 0 and len(fake_anthropic.message_requests()) == 8
    # Money: every pending reservation is settled by its verdict, so the project's judging spend grew by
    # exactly the verdicts' real costs; the summary shows that sum rounded to a millionth of a dollar.
    exact = sum(event.cost_usd for event in standing_orders(db, comparison).values())
    assert exact > 0 and judge_spent(db, teacher.name) - spent_before == pytest.approx(exact, rel=1e-9)
    assert summary["spent_usd"] == round(exact, 6)


def test_identical_models_tie_without_asking(eval_project, fake_anthropic) -> None:
    project, db = eval_project
    fake_anthropic.model_text = FIRST
    comparison = _compare(eval_project, "stage-500", "stage-500", seed=22).comparison
    report = _judge(eval_project, comparison)
    assert report.sent == 0 and report.skipped_identical == 8
    assert comparison_outcomes(db, comparison, "teacher") == ["tie"] * 4
    assert fake_anthropic.message_requests() == []


def test_budget_cap_stops_before_crossing_then_resumes(eval_project, fake_anthropic) -> None:
    project, db = eval_project
    fake_anthropic.model_text = "VERDICT: 2"
    comparison = _compare(eval_project, "stage-500", "stage-200", seed=23).comparison
    spent = judge_spent(db, _teacher_name(eval_project))
    worst = _worst_cases(eval_project, comparison)
    assert len(worst) == 8
    # room for the first two reservations and half the third, whatever each prompt's length
    report = _judge(eval_project, comparison, budget=spent + worst[0] + worst[1] + worst[2] / 2)
    assert report.sent == 2 and "budget" in report.stopped
    report = _judge(eval_project, comparison, budget=spent + 2 * sum(worst))
    assert report.sent == 6 and not report.stopped
    assert judge_summary(db, comparison)["position_bias"] == 1.0


def test_kappa_against_the_person_on_shared_pairs(eval_project, fake_anthropic) -> None:
    from core.evaluation.arena import ArenaSession

    project, db = eval_project
    fake_anthropic.model_text = FIRST
    comparison = _compare(eval_project, "stage-200", "base", seed=24).comparison
    _judge(eval_project, comparison)
    session = ArenaSession(db, comparison)
    for _ in range(4):
        session.decide("tie")  # the person calls every pair a tie, as the split judge does
    summary = judge_summary(db, comparison)
    assert summary["shared_with_human"] == 4 and summary["kappa_vs_human"] == 1.0


def test_judge_prompt_shows_whole_conversations(eval_project) -> None:
    project, db = eval_project
    comparison = _compare(eval_project, "stage-200", "stage-500", seed=21).comparison
    answers = db.comparisons.answers.by_keys([p["a"] for p in comparison.pairs] + [p["b"] for p in comparison.pairs])
    multi = [a for a in answers.values() if len(a.turns) > 1]
    if multi:
        prompt = judge_prompt(multi[0], multi[0])
        assert prompt.user.count("Person:") == 2 * len(multi[0].turns)
    assert prompt_system_is_rubric(judge_prompt(next(iter(answers.values())), next(iter(answers.values()))))


def prompt_system_is_rubric(prompt) -> bool:
    return prompt.system == RUBRIC
