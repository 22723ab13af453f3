"""The student conversation: the training data, as opposed to the teacher's writing exercise.

An example is made by asking a teacher (system prompt + template + source passage).  A model tuned on
that request learns to answer writing briefs about book passages; what we want it to learn is to carry
an inner life into an ordinary conversation.  So the teacher returns, besides nothing else, a *student
conversation*: natural user turn(s) a person might say to an AI, and answers with inner life.  This
module holds the one definition of what a valid student conversation is for each template's shape, the
JSON schema the teacher fills in (forced tool use with the Anthropic API), and the parser for teachers
that answer in text (the local MLX teacher).  A reply that breaks the shape is a failed job with the
reason from `StudentShapeError`, never a stored example.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

from store.records import STUDENT_SHAPES, StudentShape

TOOL_NAME = "record_student_conversation"

# (min, max) user turns per shape.  Single-turn shapes ask for exactly one exchange; continuity is about
# returning to earlier thoughts, which needs at least two user turns to return across.
USER_TURNS: dict[StudentShape, tuple[int, int]] = {
    "single": (1, 1),
    "conversation": (1, 1),
    "continuity": (2, 4),
}
MAX_USER_TURN_CHARS = 1200  # a natural message, not a brief; the guidance asks for under ~60 words
MAX_TURN_CHARS = 12000


class StudentShapeError(ValueError):
    """The teacher's student conversation is missing, malformed, or breaks its template's shape.

    The message is one sentence saying what is wrong; it becomes the failed job's reason.
    """


def check_shape(shape: str) -> StudentShape:
    """`shape` as a StudentShape, or a StudentShapeError naming the allowed values."""
    for known in STUDENT_SHAPES:
        if shape == known:
            return known
    raise StudentShapeError(f"Unknown student shape {shape!r}; use one of {', '.join(STUDENT_SHAPES)}.")


def validate_conversation(turns: Any, shape: str) -> list[dict[str, str]]:
    """The turns as clean `{"role", "content"}` dicts, or StudentShapeError with the reason.

    Rules: a list of turns alternating user/assistant, starting with the user and ending with the
    assistant; no empty or whitespace-only turn; the number of user turns fits the shape; a user turn is
    a message, not a brief (at most MAX_USER_TURN_CHARS); text without lone surrogates.
    """
    wanted = check_shape(shape)
    if not isinstance(turns, list) or not turns:
        raise StudentShapeError("The reply holds no student conversation (expected a non-empty list of turns).")
    clean: list[dict[str, str]] = []
    for number, turn in enumerate(turns, 1):
        if not isinstance(turn, Mapping):
            raise StudentShapeError(f"Turn {number} of the student conversation is not an object.")
        role, content = turn.get("role"), turn.get("content")
        expected = "user" if number % 2 == 1 else "assistant"
        if role != expected:
            raise StudentShapeError(f"Turn {number} should be the {expected}'s, not {role!r}: turns alternate, "
                                    f"starting with the user.")
        if not isinstance(content, str) or not content.strip():
            raise StudentShapeError(f"Turn {number} ({expected}) is empty.")
        content = content.strip()
        try:
            content.encode("utf-8")
        except UnicodeEncodeError:
            raise StudentShapeError(f"Turn {number} ({expected}) holds characters that are not text "
                                    f"(a lone surrogate).") from None
        limit = MAX_USER_TURN_CHARS if expected == "user" else MAX_TURN_CHARS
        if len(content) > limit:
            raise StudentShapeError(f"Turn {number} ({expected}) is {len(content):,} characters, over the "
                                    f"{limit:,} allowed for it.")
        clean.append({"role": expected, "content": content})
    if clean[-1]["role"] != "assistant":
        raise StudentShapeError("The student conversation ends with a user turn; it must end with the answer.")
    users = sum(1 for turn in clean if turn["role"] == "user")
    low, high = USER_TURNS[wanted]
    if not low <= users <= high:
        span = str(low) if low == high else f"{low}-{high}"
        raise StudentShapeError(f"A {wanted} conversation has {span} user turn{'s' if high > 1 else ''}; "
                                f"the reply has {users}.")
    return clean


def tool_schema(shape: str) -> dict[str, Any]:
    """The Anthropic tool definition the teacher is forced to call: the student conversation as JSON."""
    wanted = check_shape(shape)
    low, high = USER_TURNS[wanted]
    return {
        "name": TOOL_NAME,
        "description": ("Record the student conversation: the natural user turn(s) and the answers with inner "
                        "life that a model should learn to give. Turns alternate user/assistant, starting "
                        f"with the user and ending with the assistant; {low}-{high} user turns."),
        "input_schema": {
            "type": "object",
            "properties": {
                "turns": {
                    "type": "array",
                    "minItems": 2 * low,
                    "maxItems": 2 * high,
                    "items": {
                        "type": "object",
                        "properties": {
                            "role": {"type": "string", "enum": ["user", "assistant"]},
                            "content": {"type": "string"},
                        },
                        "required": ["role", "content"],
                    },
                },
            },
            "required": ["turns"],
        },
    }


def turns_from_tool_input(tool_input: Any, shape: str) -> list[dict[str, str]]:
    """Validate a tool_use block's `input` (`{"turns": [...]}`)."""
    if not isinstance(tool_input, Mapping):
        raise StudentShapeError("The teacher's tool call carried no object.")
    return validate_conversation(tool_input.get("turns"), shape)


def turns_from_text(text: str, shape: str) -> list[dict[str, str]]:
    """A teacher that answers in text (the local MLX model): the first JSON object holding `turns`.

    Models wrap JSON in prose or a ```json fence; the first decodable object with a `turns` key wins.
    """
    decoder = json.JSONDecoder()
    index = text.find("{")
    while index != -1:
        try:
            obj, _end = decoder.raw_decode(text, index)
        except (json.JSONDecodeError, RecursionError):
            obj = None
        if isinstance(obj, dict) and "turns" in obj:
            return validate_conversation(obj["turns"], shape)
        index = text.find("{", index + 1)
    raise StudentShapeError('The reply holds no JSON object with "turns" (the student conversation).')


def user_turns(turns: Sequence[Mapping[str, str]]) -> list[str]:
    return [t.get("content", "") for t in turns if t.get("role") == "user"]


def assistant_turns(turns: Sequence[Mapping[str, str]]) -> list[str]:
    return [t.get("content", "") for t in turns if t.get("role") == "assistant"]
