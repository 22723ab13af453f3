"""`interiority decide --all-matching accept|reject` and `decide undo`: the studio's A / R and u from a script.

The command drives the same `ReviewSession.plan_bulk` / `bulk` the Review screen does, so a bulk action from
the command line is one journal line with one bulk key, and `decide undo` (no example id) reverts the
project's latest decision in force, a bulk action whole, as the studio's u does.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from core.cli import main
from core.commands.review import _decide_target
from core.errors import UserError
from core.review import ReviewSession
from store import Database
from store.journal import JOURNAL_NAME
from tests.review.synthetic import build_corpus


def _lines(project) -> int:
    return len((Path(project.db_path) / JOURNAL_NAME).read_bytes().splitlines())


def _careful(project, reviews: int) -> None:
    toml = Path(project.root) / "interiority.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(re.sub(r"(?m)^careful_reviews = \d+", f"careful_reviews = {reviews}", text), encoding="utf-8")


@pytest.fixture
def corpus(project):
    with Database(project.db_path) as db:
        return build_corpus(db, 90, student_every=1)


def _statuses(project) -> dict[int, str]:
    with Database(project.db_path, read_only=True) as db:
        return {e.id: e.status for e in db.examples}


def test_a_bulk_reject_by_filter_and_search_is_one_line_and_one_decide_undo(project, corpus, capsys) -> None:
    root = ["--project", str(project.root)]
    book = corpus["examples"][3].book_id  # the continuity template's (two exchanges, so two user turns)
    with Database(project.db_path) as db:
        expected = {e.id for e in db.examples if e.template_id == "continuity" and e.book_id == book
                    and "remember" in " ".join(t["content"] for t in e.student).lower()}
    assert expected  # the synthetic user turn "Do you remember what I asked before?" is among them
    before = _lines(project)
    assert main(root + ["decide", "--all-matching", "reject", "--reason", "formulaic", "--template", "continuity",
                        "--book", str(book), "--search", "REMEMBER", "--yes", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["ids"]) == expected and out["decided"] == len(expected) and out["reason"] == "formulaic"
    assert out["search"] == "REMEMBER" and out["filters"]["template"] == "continuity" and out["bulk"]
    assert _lines(project) == before + 1
    statuses = _statuses(project)
    assert {i for i, s in statuses.items() if s == "rejected"} == expected
    with Database(project.db_path, read_only=True) as db:
        assert {d.bulk for d in db.decisions} == {out["bulk"]} and {d.session for d in db.decisions} == {"cli"}

    # One example of the bulk decided again on its own, then `decide undo` twice: that one, then the bulk whole.
    one = sorted(expected)[0]
    assert main(root + ["decide", str(one), "skip"]) == 0
    assert main(root + ["decide", "undo"]) == 0
    assert "Undid skip of example" in capsys.readouterr().out and _statuses(project)[one] == "rejected"
    before = _lines(project)
    assert main(root + ["decide", "undo", "--json"]) == 0
    undone = json.loads(capsys.readouterr().out)
    assert undone["bulk"] and undone["undone"] == len(expected) and _lines(project) == before + 1
    assert set(_statuses(project).values()) == {"pending"}
    assert main(root + ["decide", "undo"]) == 2
    assert "Nothing to undo" in capsys.readouterr().err


def test_bulk_accept_waits_for_the_careful_start_and_runs_after_it(project, corpus, capsys) -> None:
    root = ["--project", str(project.root)]
    _careful(project, 2)
    assert main(root + ["decide", "--all-matching", "accept", "--tag", "grief", "--yes"]) == 2
    assert "careful start (review 1 of 2)" in capsys.readouterr().err
    # A bulk reject is allowed in the careful start, and does not count towards it.
    assert main(root + ["decide", "--all-matching", "reject", "--reason", "other", "--tag", "grief", "--yes"]) == 0
    assert main(root + ["decide", "--all-matching", "accept", "--status", "pending", "--yes"]) == 2
    ids = corpus["ids"]
    assert main(root + ["decide", str(ids[1]), "accept"]) == 0
    assert main(root + ["decide", str(ids[2]), "accept"]) == 0
    capsys.readouterr()
    assert main(root + ["decide", "--all-matching", "accept", "--status", "pending", "--yes"]) == 0
    assert re.match(r"Accepted \d+ examples; `interiority decide undo`", capsys.readouterr().out)
    statuses = _statuses(project)
    assert "pending" not in statuses.values() and "rejected" in statuses.values()


def test_the_count_is_asked_for_unless_yes(project, corpus, capsys, monkeypatch) -> None:
    root = ["--project", str(project.root), "decide", "--all-matching", "reject", "--reason", "other",
            "--tag", "grief"]

    class Terminal:
        answer = False

        @classmethod
        def isatty(cls) -> bool:
            return cls.answer

    monkeypatch.setattr("sys.stdin", Terminal())
    assert main(root) == 2  # no terminal to ask on
    err = capsys.readouterr().err
    assert re.search(r"Reject \(other\) all \d+ examples of this list \(tag=grief\)\?", err)
    assert "Add --yes to go ahead." in err
    assert main(root + ["--json"]) == 2 and "Add --yes" in capsys.readouterr().err

    Terminal.answer = True
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert main(root) == 1
    assert "Nothing was decided." in capsys.readouterr().out and set(_statuses(project).values()) == {"pending"}
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    assert main(root) == 0
    assert "Rejected (other)" in capsys.readouterr().out and "rejected" in _statuses(project).values()


@pytest.mark.parametrize("argv,sentence", [
    (["--all-matching", "reject", "--yes"], "Give --reason CODE for a bulk reject"),
    (["--all-matching", "reject", "--reason", "bogus", "--yes"], "Unknown reject reason 'bogus'"),
    (["--all-matching", "accept", "--reason", "other", "--yes"], "--reason goes with --all-matching reject"),
    (["3", "accept", "--all-matching", "accept"], "give no EXAMPLE_ID, action or --edit-file with it"),
    (["--all-matching", "accept", "--edit-file", "x.txt"], "give no EXAMPLE_ID, action or --edit-file with it"),
    (["3", "accept", "--flag", "cliche"], "--flag goes with --all-matching"),
    (["--all-matching", "reject", "--reason", "other", "--book", "999", "--yes"], "No book with id 999"),
    (["--all-matching", "reject", "--reason", "other", "--tag", "nothing-tagged", "--yes"],
     "No example matches the filters and the search"),
    (["--all-matching", "reject", "--reason", "other", "--search", "zzzqqq", "--yes"],
     "No example matches the filters and the search"),
    (["undo", "--reason", "other"], "takes no --reason"),
    (["accept"], "Give the action after the example id"),
    (["x", "accept"], "'x' is not an example id"),
    (["3", "approve"], "Unknown action 'approve'"),
    ([], "Give `decide EXAMPLE_ID ACTION`"),
])
def test_each_wrong_shape_is_one_sentence_and_changes_nothing(project, corpus, capsys, argv, sentence) -> None:
    before = _lines(project)
    assert main(["--project", str(project.root), "decide", *argv]) == 2
    err = capsys.readouterr().err
    assert sentence in err and err.count("\n") == 1
    assert _lines(project) == before


def test_an_empty_list_says_so_in_the_studio_too(project, db) -> None:
    build_corpus(db, 10)
    session = ReviewSession(db, project.settings)
    session.apply_filters({"tag": "no-such-tag"})
    plan = session.plan_bulk("reject", project.settings.review.reject_reasons[0])
    assert plan.refused and plan.refused.startswith("No example matches the filters and the search")


_WORDS = st.one_of(st.none(), st.sampled_from(["undo", "accept", "reject", "skip", "edit", "12", "0", "-3"]),
                   st.text(max_size=8))


@hsettings(max_examples=300, deadline=None)
@given(target=_WORDS, action=_WORDS, bulk=st.sampled_from([None, "accept", "reject"]),
       flag=st.sampled_from([None, "cliche"]))
def test_decide_positionals_give_a_decision_or_one_user_sentence(target, action, bulk, flag) -> None:
    args = argparse.Namespace(target=target, action=action, all_matching=bulk, status=None, template=None,
                              book=None, tag=None, teacher=None, flag=flag, search="", yes=False, edit_file=None)
    try:
        example_id, verb = _decide_target(args)
    except UserError as exc:
        assert str(exc).endswith(".") and "\n" not in str(exc)
        return
    if bulk:
        assert (example_id, verb) == (None, bulk) and target is None and action is None
    elif example_id is None:
        assert (target, action, verb, flag) == ("undo", None, "undo", None)
    else:
        assert example_id == int(target) and verb == action and flag is None
