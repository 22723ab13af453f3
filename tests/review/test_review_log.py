"""Decisions as an event log: the fold, unlimited undo, edits that keep the original, the session index."""

from __future__ import annotations

import pytest

from core.review import (DUPLICATE_REASON, ReviewError, ReviewSession, effective_events, failure_patterns, fold,
                         record_decision)
from core.review.fatigue import SessionSample, fatigue_warning
from store.records import Decision
from tests.review.synthetic import build_corpus, make_example


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += seconds


def _event(action: str, text: str = "", reason: str = "") -> Decision:
    return Decision(action=action, edited_text=text, reason=reason)


def test_fold_of_nothing_is_pending() -> None:
    assert fold([]) == ("pending", "")


def test_fold_undo_chain_is_exact_and_unlimited() -> None:
    events = [_event("accept"), _event("reject", reason="cliche"), _event("skip"), _event("edit", "mine"),
              _event("accept")]
    expected = [("accepted", "mine"), ("skipped", "mine"), ("skipped", ""), ("rejected", ""), ("accepted", ""),
                ("pending", ""), ("pending", "")]
    for undos, want in enumerate(expected):
        assert fold(events + [_event("undo")] * undos) == want
    # Undo, then a new decision, then undo again: back to the state before the new decision.
    assert fold(events + [_event("undo"), _event("undo"), _event("reject"), _event("undo")]) == ("skipped", "")
    assert [e.action for e in effective_events(events + [_event("undo")] * 2)] == ["accept", "reject", "skip"]


def test_fold_reads_stored_decisions(db) -> None:
    example = db.examples.add(make_example("an answer"))
    for action, text in (("edit", "x"), ("accept", "")):
        db.decisions.add(Decision(example_id=example.id, action=action, edited_text=text))
    assert fold(db.decisions.for_example(example.id)) == ("accepted", "x")


@pytest.fixture
def corpus_db(db):
    info = build_corpus(db, 40, duplicate_every=10, cliche_every=5, chars=300)
    return db, info


def _session(db, settings, careful: int = 0) -> tuple[ReviewSession, FakeClock]:
    settings.review.careful_reviews = careful
    clock = FakeClock()
    return ReviewSession(db, settings, session_id="s1", clock=clock), clock


def test_accept_reject_are_durable_and_cached(corpus_db, project) -> None:
    db, info = corpus_db
    session, clock = _session(db, project.settings)
    first = session.current_id()
    clock.tick(2.5)
    result = session.accept()
    assert result.ok and result.status == "accepted"
    assert session.current_id() == info["ids"][1]
    assert db.examples.get(first).status == "accepted"
    decision = db.decisions.for_example(first)[0]
    assert decision.action == "accept" and decision.seconds == pytest.approx(2.5) and decision.session == "s1"
    result = session.reject("cliche")
    assert db.examples.get(info["ids"][1]).status == "rejected"
    assert db.decisions.for_example(info["ids"][1])[0].reason == "cliche"
    with pytest.raises(ReviewError, match="reject_reasons"):
        session.reject("boring")


def test_edit_keeps_the_original_and_undo_restores(corpus_db, project) -> None:
    db, info = corpus_db
    session, _clock = _session(db, project.settings)
    target = session.current_id()
    original = db.examples.get(target).completion
    assert session.edit("A better answer, shown not told.").ok
    example = db.examples.get(target)
    assert example.completion == original and example.edited_text == "A better answer, shown not told."
    assert example.final_text == "A better answer, shown not told." and example.status == "pending"
    assert not session.edit("A better answer, shown not told.").ok  # no change
    assert not session.edit("   ").ok
    session.accept()
    assert db.examples.get(target).status == "accepted"
    session.undo()
    session.undo()
    example = db.examples.get(target)
    assert (example.status, example.edited_text, example.completion) == ("pending", "", original)
    assert [d.action for d in db.decisions.for_example(target)] == ["edit", "accept", "undo", "undo"]


def test_global_undo_walks_back_across_examples_and_sessions(corpus_db, project) -> None:
    db, info = corpus_db
    session, _clock = _session(db, project.settings)
    ids = info["ids"]
    session.accept()
    session.reject("formulaic")
    session.skip()
    session.accept(example_id=ids[0])  # a second decision on the first example
    assert session.undo().example_id == ids[0]
    assert db.examples.get(ids[0]).status == "accepted"
    assert session.current_id() == ids[0]  # undo shows the undone card
    # A new session (after a restart) continues the same undo history.
    later = ReviewSession(db, project.settings, session_id="s2")
    assert later.undo().example_id == ids[2]
    assert later.undo().example_id == ids[1]
    assert later.undo().example_id == ids[0]
    assert not later.undo().ok  # nothing left
    assert [db.examples.get(i).status for i in ids[:3]] == ["pending"] * 3


def test_undo_of_one_example_only(corpus_db, project) -> None:
    db, info = corpus_db
    session, _clock = _session(db, project.settings)
    ids = info["ids"]
    session.accept(example_id=ids[3], advance=False)
    session.accept(example_id=ids[4], advance=False)
    assert session.undo(example_id=ids[3]).ok
    assert db.examples.get(ids[3]).status == "pending" and db.examples.get(ids[4]).status == "accepted"
    assert not session.undo(example_id=ids[3]).ok


def test_filters_with_counts_and_navigation(corpus_db, project) -> None:
    db, info = corpus_db
    session, _clock = _session(db, project.settings)
    assert session.counts("status") == {"pending": 40}
    assert sum(session.counts("template").values()) == 40
    assert session.counts("book") == {info["examples"][0].book_id: 20, info["examples"][1].book_id: 20}
    assert session.apply_filters({"template": "conversation"}) == session.counts("template")["conversation"]
    assert all(db.examples.get(i).template_id == "conversation" for i in session.order)
    session.accept()
    assert session.counts("status") == {"pending": 39, "accepted": 1}
    assert session.counts("status", within_filters=True)["accepted"] == 1
    n_tag = session.set_filter("tag", "grief")
    assert n_tag == len(session.index["tag"]["grief"] & session.index["template"]["conversation"])
    session.set_filter("tag", None)
    session.set_filter("template", None)
    assert len(session.order) == 40
    session.goto(info["ids"][5])
    assert session.previous() == info["ids"][4] and session.next() == info["ids"][5]
    with pytest.raises(ReviewError):
        session.apply_filters({"colour": "red"})


def test_next_flagged_and_flag_facet(db, project) -> None:
    examples = [make_example(f"plain text number {i}", flags=[]) for i in range(6)]
    examples[2].flags = [{"code": "cliche", "detail": "uses x"}]
    examples[4].flags = [{"code": "near-duplicate", "detail": "of #1", "others": []}]
    db.examples.add_many(examples)
    session, _clock = _session(db, project.settings)
    assert session.counts("flag") == {"cliche": 1, "near-duplicate": 1, "flagged": 2}
    assert session.next_flagged() == examples[2].id
    assert session.next_flagged() == examples[4].id
    assert session.next_flagged() == examples[2].id  # wraps
    session.update_flags(examples[2].id, [])
    assert session.counts("flag") == {"near-duplicate": 1, "flagged": 1}


def test_careful_start_refuses_quick_accepts_then_asks_for_patterns(corpus_db, project) -> None:
    db, _info = corpus_db
    project.settings.review.careful_pause_s = 1.0
    session, clock = _session(db, project.settings, careful=3)
    refused = session.accept()
    assert not refused.ok and "at least 1 s" in refused.message
    assert db.decisions.count() == 0
    clock.tick(1.2)
    assert session.accept().ok
    assert session.reject("other").ok  # rejects are never held back
    assert not session.needs_failure_patterns
    clock.tick(1.0)
    assert session.accept().ok
    assert not session.careful and session.needs_failure_patterns
    assert session.accept().ok  # no pause needed any more
    with pytest.raises(ReviewError):
        session.record_failure_patterns("  ")
    session.record_failure_patterns("opens with weather; explains every feeling")
    assert not session.needs_failure_patterns
    assert failure_patterns(db)[0].text == "opens with weather; explains every feeling"


def test_progress_rate_and_eta(corpus_db, project) -> None:
    db, _info = corpus_db
    session, clock = _session(db, project.settings)
    for _ in range(4):
        clock.tick(6.0)
        session.accept()
    progress = session.progress()
    assert (progress.done, progress.total, progress.pending) == (4, 40, 36)
    assert progress.rate_per_hour == pytest.approx(600.0)
    assert progress.eta_s == pytest.approx(36 * 6.0)
    assert "4/40 done" in progress.text and "600/h" in progress.text


def test_fatigue_warning_compares_with_earlier_sessions(corpus_db, project) -> None:
    db, info = corpus_db
    # Earlier session: careful, half accepted, ~10 s a card.
    for n, example_id in enumerate(info["ids"][:40]):
        db.decisions.add(Decision(example_id=example_id, action="accept" if n % 2 else "reject",
                                  reason="" if n % 2 else "other", seconds=10.0, session="earlier"))
    session, clock = _session(db, project.settings)
    for _ in range(19):
        clock.tick(3.0)
        session.accept(example_id=info["ids"][0], advance=False)
    assert session.fatigue() is None  # too few yet
    clock.tick(3.0)
    session.accept(example_id=info["ids"][0], advance=False)
    warning = session.fatigue()
    assert warning and "100%" in warning and "50%" in warning


def test_fatigue_rule_needs_both_signals() -> None:
    earlier = [SessionSample.from_verdicts([("accept", 10.0), ("reject", 10.0)] * 25)]
    fast_lenient = SessionSample.from_verdicts([("accept", 4.0)] * 25)
    fast_strict = SessionSample.from_verdicts([("accept", 4.0), ("reject", 4.0)] * 13)
    slow_lenient = SessionSample.from_verdicts([("accept", 9.0)] * 25)
    assert fatigue_warning(earlier, fast_lenient)
    assert fatigue_warning(earlier, fast_strict) is None
    assert fatigue_warning(earlier, slow_lenient) is None
    assert fatigue_warning([], fast_lenient) is None


def test_cluster_keep_best_and_undo(db, project) -> None:
    examples = [make_example(f"text {i}") for i in range(4)]
    db.examples.add_many(examples)
    a, b, c, d = (e.id for e in examples)
    db.examples.update(a, flags=[{"code": "near-duplicate", "detail": "", "others": [b]}])
    db.examples.update(b, flags=[{"code": "near-duplicate", "detail": "", "others": [a, c]}])
    db.examples.update(c, flags=[{"code": "near-duplicate", "detail": "", "others": [b]}])
    session, _clock = _session(db, project.settings)
    assert session.cluster_of(a) == [a, b, c]
    results = session.keep_best(b)
    assert [r.example_id for r in results] == [b, a, c]
    assert [db.examples.get(i).status for i in (a, b, c, d)] == ["rejected", "accepted", "rejected", "pending"]
    assert db.decisions.for_example(a)[0].reason == DUPLICATE_REASON
    for _ in results:
        session.undo()
    assert [db.examples.get(i).status for i in (a, b, c)] == ["pending"] * 3


def test_record_decision_for_scripts(corpus_db, project) -> None:
    db, info = corpus_db
    example_id = info["ids"][0]
    _d, status, _e = record_decision(db, project.settings, example_id, "edit", edited_text="mine")
    _d, status, edited = record_decision(db, project.settings, example_id, "accept")
    assert (status, edited) == ("accepted", "mine")
    _d, status, edited = record_decision(db, project.settings, example_id, "undo")
    assert (status, edited) == ("pending", "mine")
    with pytest.raises(ReviewError, match="reject_reasons"):
        record_decision(db, project.settings, example_id, "reject", reason="nope")
    with pytest.raises(ReviewError, match="No example"):
        record_decision(db, project.settings, 99999, "accept")
    record_decision(db, project.settings, example_id, "undo")
    with pytest.raises(ReviewError, match="nothing|no decision"):
        record_decision(db, project.settings, example_id, "undo")
