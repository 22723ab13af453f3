"""Enqueue never skips a passage silently: the CLI and the Queue screen name each skipped passage and why."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.cli import main
from core.queue.jobs import NO_TEMPLATE, NOT_VALUABLE, UNKNOWN_TEMPLATES, EnqueueResult, SkippedPassage
from core.queue.wiring import enqueue_passages
from store import Database
from tests.queue.conftest import add_passages

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _mixed(db: Any) -> dict[str, int]:
    """Three passages that qualify, one with no template, one judged not valuable, one with a gone template."""
    good = add_passages(db, 3, templates=("monologue",), tag="grief")
    book_id = good[0].book_id
    bare = add_passages(db, 1, templates=(), tag="grief", book_title="Bare")[0]
    refused = add_passages(db, 1, tag="grief", book_title="Refused")[0]
    db.passages.update(refused.id, verdict="not")
    gone = add_passages(db, 1, templates=("no-such-template",), tag="grief", book_title="Gone")[0]
    return {"book": book_id, "bare": bare.id, "refused": refused.id, "gone": gone.id}


def test_enqueue_reports_each_skipped_passage_with_its_reason(project: Any) -> None:
    with Database(project.db_path) as db:
        ids = _mixed(db)
        result, passages = enqueue_passages(project, db, teacher="t")
    assert result.created == 3 and passages == 4  # the gone template's passage qualified, then made no job
    assert sorted((s.passage_id, s.reason) for s in result.skipped) == sorted(
        [(ids["bare"], NO_TEMPLATE), (ids["refused"], NOT_VALUABLE), (ids["gone"], UNKNOWN_TEMPLATES)])
    summary = result.summary(passages)
    assert summary.startswith("Enqueued 3 new jobs from 4 passages (0 already queued or done).")
    assert f"Skipped 1 passage ({ids['bare']}): no template chosen; choose templates on them in the reader's " \
           f"sidebar (T)." in summary
    assert f"Skipped 1 passage ({ids['refused']}): judged not valuable." in summary
    assert f"({ids['gone']}): its templates are not in the templates folder" in summary


def test_a_book_filter_reports_only_that_books_skips(project: Any) -> None:
    with Database(project.db_path) as db:
        ids = _mixed(db)
        result, passages = enqueue_passages(project, db, book_id=ids["book"], teacher="t")
    assert passages == 3 and result.skipped == [] and "Skipped" not in result.summary(passages)


def test_many_skipped_passages_are_counted_not_all_listed() -> None:
    result = EnqueueResult(skipped=[SkippedPassage(i, 1, NO_TEMPLATE) for i in range(1, 13)])
    sentence = result.skipped_sentence()
    assert sentence.startswith("Skipped 12 passages (1, 2, 3, 4, 5, 6, 7, 8 and 4 more): no template chosen")
    assert result.to_json()["skipped"][0] == {"passage": 1, "book": 1, "reason": NO_TEMPLATE}


def test_generate_says_which_passages_were_skipped_and_why(project: Any, fake_anthropic: Any, capsys: Any) -> None:
    with Database(project.db_path) as db:
        ids = _mixed(db)
    root = str(project.root)
    assert main(["generate", "--project", root, "--yes"]) == 0
    out, err = capsys.readouterr()
    assert "Queued 3 new jobs" in out
    assert f"interiority: Skipped 1 passage ({ids['bare']}): no template chosen" in err
    assert f"Skipped 1 passage ({ids['refused']}): judged not valuable." in err
    assert main(["generate", "--project", root, "--yes", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    skipped = {(row["passage"], row["reason"]) for row in report["enqueued"]["skipped"]}
    assert (ids["bare"], NO_TEMPLATE) in skipped and (ids["gone"], UNKNOWN_TEMPLATES) in skipped
