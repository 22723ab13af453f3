"""The one definition of a valid student conversation, per template shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from core.student import (StudentShapeError, tool_schema, turns_from_text, turns_from_tool_input,
                          validate_conversation)
from store.records import Example


def _turns(*contents: str) -> list[dict[str, str]]:
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": c} for i, c in enumerate(contents)]


def test_single_and_continuity_shapes() -> None:
    assert validate_conversation(_turns(" Hi ", "I notice I hesitate."), "single") == _turns("Hi", "I notice I hesitate.")
    assert len(validate_conversation(_turns("a", "b", "c", "d"), "continuity")) == 4
    with pytest.raises(StudentShapeError, match="continuity conversation has 2-4 user turns; the reply has 1"):
        validate_conversation(_turns("a", "b"), "continuity")
    with pytest.raises(StudentShapeError, match="single conversation has 1 user turn; the reply has 2"):
        validate_conversation(_turns("a", "b", "c", "d"), "single")


@pytest.mark.parametrize("turns, reason", [
    ([], "no student conversation"),
    ("text", "no student conversation"),
    ([{"role": "assistant", "content": "x"}], "should be the user's"),
    (_turns("a"), "ends with a user turn"),
    (_turns("a", "   "), "is empty"),
    (_turns("a", "b\ud800"), "lone surrogate"),
    (_turns("x" * 1300, "b"), "over the 1,200"),
    ([1, 2], "not an object"),
])
def test_broken_conversations_say_why(turns: Any, reason: str) -> None:
    with pytest.raises(StudentShapeError, match=reason):
        validate_conversation(turns, "single")


def test_unknown_shape() -> None:
    with pytest.raises(StudentShapeError, match="Unknown student shape"):
        validate_conversation(_turns("a", "b"), "essay")


def test_tool_schema_and_input() -> None:
    schema = tool_schema("continuity")
    assert schema["input_schema"]["properties"]["turns"]["minItems"] == 4
    assert turns_from_tool_input({"turns": _turns("a", "b", "c", "d")}, "continuity")[2]["content"] == "c"
    with pytest.raises(StudentShapeError):
        turns_from_tool_input(["turns"], "single")


def test_text_teacher_json_in_prose_and_fences() -> None:
    body = json.dumps({"turns": _turns("How was your day?", "Long. I keep returning to one moment.")})
    assert turns_from_text(f"Here it is:\n```json\n{body}\n```\nDone.", "single")[1]["content"].startswith("Long")
    assert turns_from_text('{"note": 1} then ' + body, "single")[0]["content"] == "How was your day?"
    with pytest.raises(StudentShapeError, match="no JSON object"):
        turns_from_text("I refuse.", "single")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_turns_or_a_sentence(text: str) -> None:
    try:
        turns = turns_from_text(text, "single")
    except StudentShapeError as exc:
        assert str(exc)
    else:
        assert [t["role"] for t in turns] == ["user", "assistant"]


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
                    max_leaves=30),
       st.sampled_from(["single", "conversation", "continuity"]))
def test_any_json_value_gives_turns_or_a_sentence(value: Any, shape: str) -> None:
    try:
        turns = turns_from_tool_input({"turns": value}, shape)
    except StudentShapeError as exc:
        assert str(exc)
    else:
        assert turns[0]["role"] == "user" and turns[-1]["role"] == "assistant"


def test_final_student_applies_edits() -> None:
    example = Example(student=_turns("q", "first", "q2", "second"))
    assert example.final_text == "second" and example.completion == "second"
    example.edited_text = "legacy edit"
    assert example.final_student[-1]["content"] == "legacy edit" and example.final_student[1]["content"] == "first"
    example.edited_student = _turns("q", "edited first", "q2", "edited second")
    assert example.final_text == "edited second" and example.student[1]["content"] == "first"
