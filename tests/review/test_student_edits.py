"""Editing the student conversation (issue 14 item 4): any turn, validated by core/student.py before
saving, the decision and its cached fold in one journal line, undo exact, the original kept in `student`;
`decide N edit --edit-file F` with JSON turns or the older plain text; the editor's text form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from core.cli import main
from core.review import (ReviewError, ReviewSession, conversation_text, parse_conversation_text, parse_edit_file,
                         record_decision)
from store import Database
from store.journal import JOURNAL_NAME
from store.records import Example
from tests.review.synthetic import make_example


def turns(*contents: str) -> list[dict[str, str]]:
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": c} for i, c in enumerate(contents)]


ORIGINAL = turns("I can't sleep again.", "The fridge hums. I count its hums.", "Is that weird?",
                 "Maybe. I still count them, the way I counted earlier.")


def _add(db: Any, student: list[dict[str, str]] = ORIGINAL, shape: str = "continuity") -> Example:
    example = make_example(student[-1]["content"] if student else "a teacher answer " * 10, "continuity")
    example.student, example.student_shape = [dict(t) for t in student], shape  # type: ignore[assignment]
    return db.examples.add(example)


def _lines(db: Any, project: Any) -> int:
    return (Path(project.db_path) / JOURNAL_NAME).read_bytes().count(b"\n")


def test_edit_any_turn_is_one_journal_line_and_undo_is_exact(project: Any, db: Any) -> None:
    example = _add(db)
    session = ReviewSession(db, project.settings)
    edited = [dict(t) for t in ORIGINAL]
    edited[0]["content"] = "Can't sleep. Again."
    before = _lines(db, project)
    result = session.edit_student(edited, example.id)
    assert result.ok and _lines(db, project) == before + 1  # the event and the cached fold together
    stored = db.examples.get(example.id)
    assert stored.edited_student == edited and stored.final_student == edited
    assert stored.student == ORIGINAL  # the teacher's original stays
    assert db.decisions.for_example(example.id)[-1].edited_student == edited
    second = [dict(t) for t in edited]
    second[3]["content"] = "Maybe. I count them still."
    assert session.edit_student(second, example.id).ok
    assert db.examples.get(example.id).final_text == "Maybe. I count them still."
    session.undo(example.id)
    assert db.examples.get(example.id).edited_student == edited  # back to the first edit, exactly
    session.undo(example.id)
    assert db.examples.get(example.id).edited_student == [] and db.examples.get(example.id).final_student == ORIGINAL
    # The cached fold agrees with the log for a fresh session too (nothing to repair).
    lines = _lines(db, project)
    ReviewSession(db, project.settings)
    assert _lines(db, project) == lines


@pytest.mark.parametrize("broken, reason", [
    (turns("only a user turn"), "ends with a user turn"),
    (turns("hi", "   "), "is empty"),
    (turns("hi", "there"), "continuity conversation has 2-4 user turns"),
    ([{"role": "assistant", "content": "x"}, {"role": "user", "content": "y"}], "should be the user's"),
])
def test_an_invalid_conversation_is_refused_and_nothing_written(project: Any, db: Any, broken: Any,
                                                                 reason: str) -> None:
    example = _add(db)
    session = ReviewSession(db, project.settings)
    result = session.edit_student(broken, example.id)
    assert not result.ok and reason in result.message and "Nothing was saved" in result.message
    assert len(db.decisions) == 0 and db.examples.get(example.id).edited_student == []


def test_plain_text_edit_replaces_the_last_answer_of_the_conversation(project: Any, db: Any) -> None:
    example = _add(db)
    session = ReviewSession(db, project.settings)
    assert session.edit("I stop counting.", example.id).ok
    stored = db.examples.get(example.id)
    assert stored.final_student[:3] == ORIGINAL[:3] and stored.final_student[3]["content"] == "I stop counting."
    assert stored.edited_text == "" and stored.final_text == "I stop counting."
    assert session.edit("I stop counting.", example.id).message == "No change to save."


def test_an_example_without_a_student_conversation_edits_its_answer(project: Any, db: Any) -> None:
    example = db.examples.add(make_example("the teacher's answer " * 10))
    session = ReviewSession(db, project.settings)
    refused = session.edit_student(turns("hi", "there"), example.id)
    assert not refused.ok and "no student conversation yet" in refused.message
    assert session.edit("my answer", example.id).ok and db.examples.get(example.id).edited_text == "my answer"


def test_record_decision_validates_turns(project: Any, db: Any) -> None:
    example = _add(db)
    with pytest.raises(ReviewError, match="continuity conversation has 2-4 user turns"):
        record_decision(db, project.settings, example.id, "edit", edited_student=turns("a", "b"))
    record_decision(db, project.settings, example.id, "edit", edited_student=turns("a", "b", "c", "d"))
    assert db.examples.get(example.id).final_student == turns("a", "b", "c", "d")


def test_decide_edit_with_json_turns_plain_text_and_a_broken_file(project: Any, tmp_path: Path, capsys: Any) -> None:
    with Database(project.db_path) as db:
        example_id = _add(db).id
    root = ["--project", str(project.root)]
    new = turns("Still awake.", "The fridge again.", "Why?", "Because you asked earlier and I kept listening.")
    edit = tmp_path / "turns.json"
    edit.write_text(json.dumps({"turns": new}), encoding="utf-8")
    assert main(root + ["decide", str(example_id), "edit", "--edit-file", str(edit), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["edited"] and out["status"] == "pending" and [d["action"] for d in out["decisions"]] == ["edit"]
    plain = tmp_path / "answer.txt"
    plain.write_text("[sighs] I stop counting.\n", encoding="utf-8")  # text that only looks like JSON
    assert main(root + ["decide", str(example_id), "accept", "--edit-file", str(plain)]) == 0
    with Database(project.db_path) as db:
        stored = db.examples.get(example_id)
        assert stored.status == "accepted" and stored.final_student[:3] == new[:3]
        assert stored.final_student[3]["content"] == "[sighs] I stop counting." and stored.student == ORIGINAL
    broken = tmp_path / "broken.json"
    broken.write_text('[{"role": "user", "content": "x"', encoding="utf-8")
    assert main(root + ["decide", str(example_id), "edit", "--edit-file", str(broken)]) == 2
    assert "looks like JSON but does not parse" in capsys.readouterr().err
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps(turns("one", "two")), encoding="utf-8")
    assert main(root + ["decide", str(example_id), "edit", "--edit-file", str(invalid)]) == 2
    assert main(root + ["decide", str(example_id), "edit"]) == 2  # edit needs a file
    with Database(project.db_path) as db:
        assert [d.action for d in db.decisions.in_order()] == ["edit", "edit", "accept"]
    capsys.readouterr()
    assert main(root + ["examples", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["edited"] and row["student_shape"] == "continuity" and row["student"][0] == new[0]
    assert row["text"] == "[sighs] I stop counting."


def test_editor_text_round_trip_and_errors() -> None:
    text = conversation_text(ORIGINAL)
    assert text.startswith("User:\nI can't sleep again.\n\nAssistant:\nThe fridge hums.")
    assert parse_conversation_text(text) == ORIGINAL
    assert parse_conversation_text("user: hi there\nassistant:  hello\n  again  ") == turns("hi there", "hello\n  again")
    with pytest.raises(ReviewError, match="comes before any"):
        parse_conversation_text("stray words\nUser: hi")


_CONTENT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), min_size=1,
                   max_size=80).filter(lambda c: c.strip() and not any(
                       line.strip().lower().startswith(("user", "assistant")) for line in c.split("\n")))


@settings(max_examples=200, deadline=None)
@given(contents=st.lists(_CONTENT, min_size=1, max_size=8))
def test_editor_text_round_trips_any_conversation(contents: list[str]) -> None:
    original = turns(*(c.strip() for c in contents))
    assert parse_conversation_text(conversation_text(original)) == [
        {"role": t["role"], "content": t["content"].strip()} for t in original]


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=200), st.from_regex(r"\A[\[{].{0,60}", fullmatch=True)))
def test_edit_file_and_editor_text_raise_only_review_errors(text: str) -> None:
    for parse in (parse_edit_file, parse_conversation_text):
        try:
            parse(text)
        except ReviewError:
            pass
