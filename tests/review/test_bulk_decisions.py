"""Bulk accept / reject over the filtered list (issue 18, "Beyond: Review"), and the careful-start counter
(issue 18, bug 9).

A bulk action is one decision event per example, all written as ONE journal change, reverted whole by one
project-wide undo (also after the studio is reopened: the bulk key is in the log).  A process killed in the
middle of a bulk action, or a journal cut anywhere inside its line, leaves every example as before or every
example decided, and every cached status equal to the fold of its log.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from core.review import ReviewSession, fold, review_stats
from store import Database
from store.journal import JOURNAL_NAME
from tests.review.synthetic import build_corpus, make_example

REPO = Path(__file__).resolve().parents[2]


def assert_folds_agree(db: Database) -> None:
    for head in db.examples.heads():
        assert head.status == fold(db.decisions.for_example(head.id))[0], f"example {head.id}"


def journal_lines(project) -> int:
    return len((Path(project.db_path) / JOURNAL_NAME).read_bytes().splitlines())


# -- the careful-start counter ----------------------------------------------------------------------------


def test_an_undone_review_no_longer_counts_towards_the_careful_start(project, db) -> None:
    project.settings.review.careful_reviews = 3
    project.settings.review.careful_pause_s = 0
    ids = build_corpus(db, 10)["ids"]
    session = ReviewSession(db, project.settings)
    session.accept(example_id=ids[0])
    session.reject(project.settings.review.reject_reasons[0], example_id=ids[1])
    assert session.project_reviews == 2
    session.undo()
    session.undo()
    assert session.project_reviews == 0 and session.careful
    session.skip(example_id=ids[2])  # a skip is not a review
    session.accept(example_id=ids[3])
    assert session.project_reviews == 1
    # A new session counts the same from the log.
    assert ReviewSession(db, project.settings).project_reviews == 1
    for example_id in ids[4:6]:
        session.accept(example_id=example_id)
    assert not session.careful and session.needs_failure_patterns
    session.undo()  # back under the limit: careful again, no question yet
    assert session.careful and not session.needs_failure_patterns


def test_resume_at_a_card_the_filters_no_longer_show_goes_to_the_next_one_of_the_list(project, db) -> None:
    project.settings.review.careful_reviews = 0
    ids = build_corpus(db, 10)["ids"]
    session = ReviewSession(db, project.settings)
    session.apply_filters({"status": "pending"})
    session.goto(ids[-1])
    session.accept()  # the last card: the position stays on it, now accepted
    fresh = ReviewSession(db, project.settings)
    fresh.apply_filters({"status": "pending"})
    assert fresh.resume_at(ids[-1]) == ids[-2]  # nothing after it: the last one of the list
    assert fresh.resume_at(ids[3]) == ids[3]
    session.accept(example_id=ids[4], advance=False)
    fresh = ReviewSession(db, project.settings)
    fresh.apply_filters({"status": "pending"})
    assert fresh.resume_at(ids[4]) == ids[5]
    assert fresh.resume_at(None) == ids[5]  # nothing remembered: where it is
    assert ReviewSession(db, project.settings).resume_at(None) == ids[0]


# -- bulk decisions ----------------------------------------------------------------------------------------


def test_bulk_accept_of_the_filtered_list_is_one_journal_line_and_one_undo(project, db) -> None:
    project.settings.review.careful_reviews = 0
    corpus = build_corpus(db, 120)
    session = ReviewSession(db, project.settings, session_id="s1")
    session.apply_filters({"status": "pending", "template": "monologue"})
    listed = set(session.order)
    session.accept()  # one decided on its card: the bulk leaves it alone
    plan = session.plan_bulk("accept")
    assert plan.refused is None and len(plan.ids) == len(listed) - 1 and plan.listed == len(listed) - 1
    question = plan.question(session.book_titles)
    assert f"all {len(plan.ids):,} examples" in question and "template=monologue" in question
    before = journal_lines(project)
    result = session.bulk(plan)
    assert result.ok and result.count == len(plan.ids) and journal_lines(project) == before + 1
    assert {e.id for e in db.examples.listing(status="accepted")} == listed
    events = [d for d in db.decisions.in_order() if d.bulk]
    assert len(events) == len(plan.ids) and {d.example_id for d in events} == set(plan.ids)
    assert {d.session for d in events} == {"s1"} and len({d.bulk for d in events}) == 1
    assert all(d.seconds == 0 for d in events)
    assert session.order == [] and session.project_reviews == 1  # the list (pending) is empty now
    assert review_stats(db).sessions["s1"].reviews == len(listed)  # the bulk counts in its session

    before = journal_lines(project)
    undone = session.undo()
    assert undone.ok and undone.count == len(plan.ids) and "bulk accept" in undone.message
    assert journal_lines(project) == before + 1
    assert {e.id for e in db.examples.listing(status="accepted")} == listed - set(plan.ids)
    assert_folds_agree(db)
    session.undo()  # then the card's own accept
    assert not db.examples.listing(status="accepted") and set(corpus["ids"]) == {e.id for e in db.examples}


def test_one_undo_reverts_a_bulk_reject_after_the_studio_is_reopened(project, db) -> None:
    project.settings.review.careful_reviews = 0
    build_corpus(db, 60)
    reason = project.settings.review.reject_reasons[1]
    session = ReviewSession(db, project.settings)
    session.apply_filters({"tag": "grief"})
    plan = session.plan_bulk("reject", reason)
    session.bulk(plan)
    assert all(db.examples.get(i).status == "rejected" for i in plan.ids)
    assert all(d.reason == reason for d in db.decisions)
    reopened = ReviewSession(db, project.settings)
    result = reopened.undo()
    assert result.count == len(plan.ids) and all(db.examples.get(i).status == "pending" for i in plan.ids)
    assert reopened.undo().ok is False  # nothing else to undo
    assert_folds_agree(db)


def test_a_member_undone_on_its_own_is_left_out_of_the_bulk_undo(project, db) -> None:
    project.settings.review.careful_reviews = 0
    ids = build_corpus(db, 20)["ids"]
    session = ReviewSession(db, project.settings)
    session.bulk(session.plan_bulk("accept"))
    session.undo(example_id=ids[0])
    result = session.undo()
    assert result.count == len(ids) - 1 and all(e.status == "pending" for e in db.examples)
    assert_folds_agree(db)


def test_bulk_is_refused_when_it_has_nothing_to_do_and_bulk_accept_in_the_careful_start(project, db) -> None:
    project.settings.review.careful_reviews = 5
    build_corpus(db, 10)
    session = ReviewSession(db, project.settings)
    plan = session.plan_bulk("accept")
    assert plan.refused and "careful start" in plan.refused
    assert not session.bulk(plan).ok and len(db.decisions) == 0
    reject = session.plan_bulk("reject", project.settings.review.reject_reasons[0])
    assert reject.refused is None
    session.bulk(reject)
    assert session.project_reviews == 0  # a bulk action is not a review of each card
    again = session.plan_bulk("reject", project.settings.review.reject_reasons[0])
    assert again.refused and "nothing to do" in again.refused and not again.ids


CHILD = textwrap.dedent("""
    import os, signal, sys
    from core.project import open_project
    from core.review import ReviewSession
    from store import Database
    from store.decisions import DecisionRepository

    project = open_project(sys.argv[1])
    kill_after, undo = int(sys.argv[2]), sys.argv[3] == "undo"
    settings = project.settings
    settings.review.careful_reviews = 0
    db = Database(project.db_path)
    session = ReviewSession(db, settings, session_id="child")
    if undo:
        session.bulk(session.plan_bulk("accept"))
        print("bulk done", flush=True)
    original = DecisionRepository.record
    count = [0]

    def record(self, *args, **kwargs):
        if count[0] == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        count[0] += 1
        return original(self, *args, **kwargs)

    DecisionRepository.record = record
    session.undo() if undo else session.bulk(session.plan_bulk("accept"))
    print("unreachable", flush=True)
""")


@pytest.mark.parametrize("kill_after,mode", [(0, "bulk"), (17, "bulk"), (39, "bulk"), (1, "undo"), (25, "undo")])
def test_a_kill_in_the_middle_of_a_bulk_action_leaves_all_or_nothing(project, kill_after: int, mode: str) -> None:
    with Database(project.db_path) as db:
        db.examples.add_many([make_example(f"answer {i} " * 8) for i in range(40)])
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.run([sys.executable, "-c", CHILD, str(project.root), str(kill_after), mode],
                           capture_output=True, text=True, cwd=REPO, env=env, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr
    with Database(project.db_path) as db:
        statuses = {e.status for e in db.examples}
        # The killed action left nothing: before a bulk, all pending; before its undo, all accepted.
        assert statuses == ({"pending"} if mode == "bulk" else {"accepted"})
        assert len(db.decisions) == (0 if mode == "bulk" else 40)
        assert_folds_agree(db)
        session = ReviewSession(db, project.settings)
        if mode == "undo":
            assert session.undo().count == 40  # and the bulk is still undone whole


@hsettings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow,
                                                                                  HealthCheck.function_scoped_fixture])
@given(cut=st.floats(0.0, 1.0, exclude_max=True), undo=st.booleans())
def test_a_journal_cut_inside_a_bulk_line_leaves_all_or_nothing(tmp_path_factory, cut: float, undo: bool) -> None:
    from core.project import open_project

    project = open_project(tmp_path_factory.mktemp("cut") / "project")
    project.settings.review.careful_reviews = 0
    with Database(project.db_path) as db:
        db.examples.add_many([make_example(f"answer {i} " * 8) for i in range(12)])
        session = ReviewSession(db, project.settings)
        session.bulk(session.plan_bulk("reject", project.settings.review.reject_reasons[0]))
        if undo:
            session.undo()
    journal = Path(project.db_path) / JOURNAL_NAME
    data = journal.read_bytes()
    last = data.rstrip(b"\n").rfind(b"\n") + 1  # the start of the last line: the bulk action (or its undo)
    journal.write_bytes(data[:last + int(cut * (len(data) - last))])
    with Database(project.db_path) as db:
        statuses = {e.status for e in db.examples}
        before, after = ({"rejected"}, {"pending"}) if undo else ({"pending"}, {"rejected"})
        assert statuses in (before, after)  # all of the bulk action or none of it, never a part
        if cut < 0.9:  # the line lost more than its newline: the state before it
            assert statuses == before
        assert_folds_agree(db)
