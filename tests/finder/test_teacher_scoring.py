"""Teacher scoring against the fake Anthropic server (the real SDK path): estimate first, batched forced
tool calls, cached per text version and teacher, under the budget cap, one more input to the learner;
and the answer's parser on any input."""

from __future__ import annotations

import asyncio
import io
import json
import math
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.cli import main
from core.finder import open_finder
from core.finder.learner import TrainingExample, fit
from core.finder.features import extract
from core.finder.teacher_scoring import (BATCH_PARAGRAPHS, SCORING_TOOL, cached_ratings, candidates, estimate,
                                         parse_ratings, rate, repository, teacher_spent, to_rate)
from core.library import import_book
from core.project import Project
from core.teacher import TeacherAuthError, TeacherOutputError, make_teacher
from store.database import Database
from tests.finder.test_cache_and_session import INTERIOR, PLAIN, _write_book
from tests.fixtures.fake_scoring import FakeScoring, fake_scoring  # noqa: F401

# 45 paragraphs: three requests of up to 20; every third one interior by the fake's rule
PARAGRAPHS = [(INTERIOR if i % 3 == 0 else PLAIN) + f" Number {i}." for i in range(45)]

json_values = st.recursive(st.none() | st.booleans() | st.integers(-5, 10 ** 10) | st.floats(allow_nan=True)
                           | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=6), inner,
                                                                                        max_size=5), max_leaves=20)
rating_entries = st.lists(st.fixed_dictionaries({"id": st.one_of(st.integers(-2, 12), st.booleans(), st.text(max_size=3),
                                                                 st.floats(-1, 12)),
                                                 "score": st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                                                    st.integers(-2, 3), st.booleans(),
                                                                    st.text(max_size=3), st.none())}), max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, st.builds(lambda r: {"ratings": r}, rating_entries)))
def test_any_answer_parses_to_ratings_in_0_1_of_asked_paragraphs_or_one_error(answer: Any) -> None:
    expected = [0, 3, 5, 7, 9]
    try:
        ratings = parse_ratings(answer, expected)
    except TeacherOutputError as exc:
        assert str(exc).startswith("the teacher")
        return
    assert ratings and set(ratings) <= set(expected)
    assert all(isinstance(v, float) and math.isfinite(v) and 0.0 <= v <= 1.0 for v in ratings.values())


def test_parse_ratings_keeps_good_ones_and_clips_a_hair() -> None:
    answer = {"ratings": [{"id": 1, "score": 0.7}, {"id": 2.0, "score": 1.005}, {"id": 9, "score": 0.5},
                          {"id": 3, "score": True}, {"id": 4, "score": 1.5}]}
    assert parse_ratings(answer, [1, 2, 3, 4]) == {1: 0.7, 2: 1.0}
    with pytest.raises(TeacherOutputError, match="rated none"):
        parse_ratings({"ratings": [{"id": 9, "score": 0.5}]}, [1])


def _book(project: Project, db: Database, tmp_path: Path) -> int:
    return import_book(project, db, _write_book(tmp_path, PARAGRAPHS)).id


def _rate(project: Project, db: Database, book_id: int, paragraphs: list[int], budget: float = 5.0,
          concurrency: int = 4) -> Any:
    teacher = make_teacher(project.settings, project.root)
    scores = open_finder(project, db, [book_id]).book(book_id)

    async def go() -> Any:
        try:
            return await rate(db, scores, paragraphs, teacher, budget, concurrency=concurrency,
                              sleep=lambda s: asyncio.sleep(0))
        finally:
            await teacher.aclose()

    return asyncio.run(go())


def test_estimate_then_batched_rating_cached_per_version_and_teacher(
        project: Project, db: Database, tmp_path: Path, fake_scoring: FakeScoring) -> None:
    book_id = _book(project, db, tmp_path)
    teacher = make_teacher(project.settings, project.root)
    scores = open_finder(project, db, [book_id]).book(book_id)
    before = estimate(db, scores, range(45), teacher)
    asyncio.run(teacher.aclose())
    assert (before.paragraphs, before.cached, before.requests) == (45, 0, 3) and before.worst_case_usd > 0
    assert fake_scoring.message_requests() == [], "the estimate sends nothing"

    report = _rate(project, db, book_id, list(range(45)))
    assert report.sent == 3 and report.rated == 45 and not report.failed and not report.stopped
    bodies = [r.body for r in fake_scoring.message_requests()]
    assert all(b["tool_choice"] == {"type": "tool", "name": "rate_paragraphs"} for b in bodies)
    assert all(b["tools"] == [SCORING_TOOL] for b in bodies)
    assert sorted(fake_scoring.rated_ids) == list(range(45))
    ratings = cached_ratings(db, scores, teacher.name)
    assert ratings[0] == 0.9 and ratings[1] == 0.1 and len(ratings) == 45
    assert teacher_spent(db, teacher.name) == pytest.approx(report.spent_usd) and report.spent_usd > 0

    # cached: nothing is sent again, and the estimate says so
    again = _rate(project, db, book_id, list(range(45)))
    assert again.sent == 0 and len(fake_scoring.message_requests()) == 3
    teacher = make_teacher(project.settings, project.root)
    assert estimate(db, scores, range(45), teacher).requests == 0
    asyncio.run(teacher.aclose())
    # another teacher model is another cache
    assert cached_ratings(db, scores, "anthropic:some-other-model") == {}


def test_the_budget_cap_stops_before_crossing_and_a_rerun_resumes(
        project: Project, db: Database, tmp_path: Path, fake_scoring: FakeScoring) -> None:
    book_id = _book(project, db, tmp_path)
    teacher = make_teacher(project.settings, project.root)
    scores = open_finder(project, db, [book_id]).book(book_id)
    one_request = estimate(db, scores, range(BATCH_PARAGRAPHS), teacher).worst_case_usd
    asyncio.run(teacher.aclose())
    nothing = _rate(project, db, book_id, list(range(45)), budget=one_request / 2)
    assert nothing.sent == 0 and "budget" in nothing.stopped and fake_scoring.message_requests() == []
    # room for one request's worst case (plus a little): one batch goes, the next would cross
    some = _rate(project, db, book_id, list(range(45)), budget=one_request * 1.5)
    assert some.sent >= 1 and some.stopped and len(fake_scoring.message_requests()) == some.sent
    spent = teacher_spent(db, make_teacher(project.settings, project.root).name)
    assert spent <= one_request * 1.5 + 1e-9
    rest = _rate(project, db, book_id, list(range(45)))
    assert rest.sent + some.sent == 3 and sorted(fake_scoring.rated_ids) == list(range(45))


def test_failures_retry_record_and_stop(project: Project, db: Database, tmp_path: Path,
                                        fake_scoring: FakeScoring) -> None:
    book_id = _book(project, db, tmp_path)
    fake_scoring.script("429", "ok", "bad_ratings", "partial")  # one at a time: batches meet them in order
    report = _rate(project, db, book_id, list(range(45)), concurrency=1)
    assert report.sent == 3 and len(report.failed) == 1 and "rated none" in report.failed[0]
    statuses = sorted(r.status for r in repository(db).all())
    assert statuses == ["done", "done", "failed"]
    failed = [r for r in repository(db).all() if r.status == "failed"][0]
    assert failed.cost_usd > 0, "an answered request is charged even when its ratings are unusable"
    assert report.rated == 20 + 1  # one full batch, one partial answer
    # the failed and unrated paragraphs are asked for again, the rated ones are not
    scores = open_finder(project, db, [book_id]).book(book_id)
    assert len(to_rate(db, scores, range(45), make_teacher(project.settings, project.root).name)) == 45 - 21
    fake_scoring.script("401")
    with pytest.raises(TeacherAuthError):
        _rate(project, db, book_id, list(range(45)))


def test_ratings_are_one_more_input_and_verdicts_weigh_them(project: Project, db: Database, tmp_path: Path,
                                                           fake_scoring: FakeScoring) -> None:
    book_id = _book(project, db, tmp_path)
    fake_scoring.rater = lambda text: 0.98 if "Number 1." in text else 0.02  # the teacher likes one plain line
    _rate(project, db, book_id, list(range(45)))
    local = open_finder(project, db, [book_id]).book(book_id)
    taught = open_finder(project, db, [book_id], teacher=make_teacher(project.settings, project.root).name)
    rated = taught.book(book_id)
    assert rated.scores[1] > local.scores[1] + 0.2 and rated.scores[0] < local.scores[0]
    assert rated.suggestion(1).reasons[0] == "the teacher rated it 0.98"
    assert np.array_equal(local.scores, local.local), "without --teacher the local scorer alone"
    # verdicts that contradict the teacher teach the learner to trust it less
    texts = [INTERIOR, PLAIN] * 8
    x = extract(texts)
    examples = [TrainingExample((1, i, i), x.features[i], x.ngram_indices[x.ngram_indptr[i]:x.ngram_indptr[i + 1]],
                                i % 2 == 0, 0.05 if i % 2 == 0 else 0.95) for i in range(len(texts))]
    assert fit(examples).teacher_weight < 0
    agreeing = [TrainingExample(e.key, e.features, e.ngrams, e.valuable, 0.95 if e.valuable else 0.05)
                for e in examples]
    assert fit(agreeing).teacher_weight > fit(examples).teacher_weight


def test_candidates_reach_past_the_list(project: Project, db: Database, tmp_path: Path) -> None:
    book_id = _book(project, db, tmp_path)
    scores = open_finder(project, db, [book_id]).book(book_id)
    assert len(candidates(scores, 5)) == 30
    assert candidates(scores, 5, everything=True) == list(range(45))


def scored(paragraphs: list[str]) -> Any:
    """`BookScores` of `paragraphs` joined by blank lines, outside a project (no cache written)."""
    from core.finder import BookScores
    from core.finder.cache import book_extraction

    text = "\n\n".join(paragraphs)
    spans, position = [], 0
    for paragraph in paragraphs:
        spans.append((position, position + len(paragraph)))
        position += len(paragraph) + 2
    return BookScores(1, text, spans, book_extraction(None, text, spans))


_SCORES: list[Any] = []


def _scores() -> Any:
    """The 45 paragraphs scored once (scoring is not what the examples vary)."""
    if not _SCORES:
        _SCORES.append(scored(PARAGRAPHS))
    return _SCORES[0]


@settings(max_examples=60, deadline=None)
@given(shown=st.integers(0, 40), uncertain=st.booleans(), judged=st.sets(st.integers(0, 44), max_size=45),
       noise=st.lists(st.floats(0, 1), min_size=45, max_size=45))
def test_candidates_are_the_best_and_least_certain_open_paragraphs(shown: int, uncertain: bool, judged: set[int],
                                                                   noise: list[float]) -> None:
    """Ranked on the arrays (no reasons built), they are what the listing functions would list."""
    scores = _scores()
    scores.scores = np.round(np.asarray(noise), 2)  # rounded: ties, kept in reading order
    scores.judged = np.zeros(len(scores), dtype=bool)
    scores.mark_judged(judged)
    pool = max(3 * shown, 30)
    expected = {s.paragraph for s in scores.top(pool)}
    if uncertain:
        expected |= {s.paragraph for s in scores.most_uncertain(pool)}
    assert candidates(scores, shown, uncertain=uncertain) == sorted(expected)


def _run(project: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["--project", str(project), *args])
    return code, out.getvalue(), err.getvalue()


def test_suggest_teacher_asks_first_then_rates_once(tmp_path: Path, fake_scoring: FakeScoring) -> None:
    project = tmp_path / "p"
    code, _, err = _run(project, "import", str(_write_book(tmp_path, PARAGRAPHS)))
    assert code == 0, err
    code, _, err = _run(project, "suggest", "1", "--teacher", "--json")
    assert code == 2 and "would rate 30 paragraphs" in err and "add --yes" in err.lower()
    assert "Budget: $20.00 for this teacher in this project ($0.0000 recorded so far)" in err
    assert fake_scoring.message_requests() == []
    code, _, err = _run(project, "suggest", "1", "--teacher")  # no terminal to ask on
    assert code == 2 and "Confirmation needed" in err and fake_scoring.message_requests() == []
    code, out, err = _run(project, "suggest", "1", "--teacher", "--yes", "--json", "--top", "3")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 3 and all(r["reasons"][0].startswith("the teacher rated it") for r in rows)
    assert "The teacher rated 30 paragraphs in 2 requests" in err
    sent = len(fake_scoring.message_requests())
    code, out, _ = _run(project, "suggest", "1", "--teacher", "--yes", "--top", "3")
    assert code == 0 and len(fake_scoring.message_requests()) == sent and "the teacher rated it" in out
    assert "has already rated all 30 paragraphs chosen: nothing to send" in out
    code, out, _ = _run(project, "suggest", "1", "--top", "3", "--json")
    assert code == 0 and not any("teacher" in r for row in json.loads(out) for r in row["reasons"])


def test_the_estimate_names_the_budget_and_warns_when_it_would_stop_the_rating() -> None:
    from core.commands.finder import estimate_sentence
    from core.finder.teacher_scoring import ScoringEstimate

    cost = ScoringEstimate(paragraphs=120, cached=29, requests=5, prompt_tokens=40_000, worst_case_usd=0.1255)
    fits = estimate_sentence("anthropic:claude", cost, 20.0, 0.0843)
    assert fits.startswith("The teacher anthropic:claude would rate 91 paragraphs (29 more are already rated: free) "
                           "in 5 requests, at most $0.1255.")
    assert "Budget: $20.00 for this teacher in this project ($0.0843 recorded so far)." in fits
    assert "may stop" not in fits
    tight = estimate_sentence("anthropic:claude", cost, 0.10, 0.0843)
    assert tight.endswith("The budget may stop it before every paragraph is rated: raise it with --budget or "
                          "queue.budget_usd.")
    done = estimate_sentence("anthropic:claude", ScoringEstimate(30, 30, 0, 0, 0.0), 20.0, 1.0)
    assert done == "The teacher anthropic:claude has already rated all 30 paragraphs chosen: nothing to send, nothing to pay."


def test_suggest_without_the_teacher_runs_while_the_studio_holds_the_database(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    project = tmp_path / "p"
    code, _, err = _run(project, "import", str(_write_book(tmp_path, PARAGRAPHS)))
    assert code == 0, err

    def suggest(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "core", "--project", str(project), "suggest", "1", *args],
                              cwd=root, capture_output=True, text=True, timeout=120)

    from core.project import open_project

    with Database(open_project(project).db_path) as studio:  # what the studio holds: the lock
        assert studio.books.all()
        listed = suggest("--top", "3", "--json")
        assert listed.returncode == 0, listed.stderr
        assert len(json.loads(listed.stdout)) == 3
        rating = suggest("--teacher", "--yes")  # the teacher's ratings are written: that one waits for the lock
        assert rating.returncode == 2 and "is open in another Interiority process" in rating.stderr
