"""Review analytics count the command line's decisions like the studio's (issue 15: `review-stats` said
"no reviews yet" after 164 decisions made with `decide`), and one function feeds both."""

from __future__ import annotations

import json

from core.cli import main
from core.review import ReviewSession, review_report, review_stats
from store import Database
from tests.review.synthetic import make_example


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _examples(project, count: int) -> list[int]:
    with Database(project.db_path) as db:
        return [e.id for e in db.examples.add_many([make_example(f"answer {i} " * 6) for i in range(count)])]


def test_decide_counts_as_reviews_and_says_why_pace_is_unknown(project, capsys) -> None:
    ids = _examples(project, 6)
    root = ["--project", str(project.root)]
    for example_id in ids[:4]:
        assert main(root + ["decide", str(example_id), "accept"]) == 0
    assert main(root + ["decide", str(ids[4]), "reject", "--reason", "off-passage"]) == 0
    capsys.readouterr()

    assert main(root + ["review-stats"]) == 0
    text = capsys.readouterr().out
    assert "no reviews yet" not in text
    assert "Reviews: 5 accept/reject decisions in 1 session" in text
    assert "none of the 5 reviews is timed" in text

    assert main(root + ["review-stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["reviews"] == 5 and stats["timed_reviews"] == 0 and stats["examples_per_hour"] is None
    assert stats["sessions"]["cli"]["reviews"] == 5
    assert stats["accept_rate"]["template"]["monologue"]["accepted"] == 4


def test_studio_and_cli_decisions_count_alike_and_pace_uses_the_timed_ones(project, capsys) -> None:
    ids = _examples(project, 8)
    root = ["--project", str(project.root)]
    for example_id in ids[:3]:
        assert main(root + ["decide", str(example_id), "accept"]) == 0
    project.settings.review.careful_reviews = 0
    clock = FakeClock()
    with Database(project.db_path) as db:
        session = ReviewSession(db, project.settings, session_id="studio-1", clock=clock)
        for example_id in ids[3:7]:
            clock.now += 30.0  # 30 s on each card: 120 an hour
            assert session.accept(example_id=example_id, advance=False).ok
        stats = review_stats(db)
        assert stats.reviews == 7 and stats.timed_reviews == 4
        assert stats.examples_per_hour == 120.0
        assert stats.sessions["studio-1"].per_hour == 120.0 and stats.sessions["cli"].per_hour is None
        assert stats.accept_rate["template"]["monologue"].accepted == 7
        text = review_report(db)
        assert "Examples per hour: 120 (over 4 timed reviews; 3 made with `interiority decide` are not timed)" in text
    capsys.readouterr()
    assert main(root + ["review-stats"]) == 0
    assert capsys.readouterr().out.rstrip("\n") == text  # the command prints what the panel shows


def test_the_studio_panel_and_the_command_share_one_function(project, capsys) -> None:
    from tui.widgets.review_analytics import analytics_text

    ids = _examples(project, 3)
    root = ["--project", str(project.root)]
    assert main(root + ["decide", str(ids[0]), "accept"]) == 0
    capsys.readouterr()
    assert main(root + ["review-stats"]) == 0
    printed = capsys.readouterr().out.rstrip("\n")
    with Database(project.db_path) as db:
        assert analytics_text(db) == printed == review_report(db)


def test_no_reviews_yet_only_when_there_are_none(db) -> None:
    db.examples.add(make_example("an answer"))
    assert "Examples per hour: – (no reviews yet)" in review_report(db)
    assert review_stats(db).reviews == 0


def test_undone_reviews_are_not_counted_and_bulk_ones_are_named_as_such(project, capsys) -> None:
    ids = _examples(project, 8)
    root = ["--project", str(project.root)]
    assert main(root + ["decide", str(ids[0]), "accept"]) == 0
    assert main(root + ["decide", str(ids[1]), "accept"]) == 0
    assert main(root + ["decide", "undo"]) == 0  # the accept of ids[1]: no longer a review
    project.settings.review.careful_reviews = 0
    clock = FakeClock()
    with Database(project.db_path) as db:
        session = ReviewSession(db, project.settings, session_id="studio-1", clock=clock)
        clock.now += 30.0
        assert session.accept(example_id=ids[2], advance=False).ok
        session.apply_filters({"status": "pending"})
        plan = session.plan_bulk("reject", project.settings.review.reject_reasons[0])
        assert session.bulk(plan).count == 6  # ids[1] is pending again
        stats = review_stats(db)
        assert (stats.reviews, stats.timed_reviews, stats.bulk_reviews) == (8, 1, 6)
        assert stats.sessions["studio-1"].reviews == 7 and stats.sessions["cli"].reviews == 1
        assert ("Examples per hour: 120 (over 1 timed reviews; 1 made with `interiority decide` and 6 made by "
                "bulk accept / reject are not timed)") in review_report(db)
        session.undo()  # the bulk, whole
        session.undo()  # the studio's accept
        stats = review_stats(db)
        assert (stats.reviews, stats.timed_reviews, stats.bulk_reviews) == (1, 0, 0)
        assert "Reviews: 1 accept/reject decisions in 1 session" in review_report(db)
        assert "none of the 1 reviews is timed: 1 made with `interiority decide` carry" in review_report(db)
