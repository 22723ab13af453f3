"""Reading a teacher's answer into what the store keeps: the student conversation, or a backfill's user turn.

Why one module: a live answer and a batch entry are the same message, and the Anthropic teacher (forced
tool use: the conversation is the `tool_use` block's input) and the local teacher (JSON in its text) must
end in the same validated turns.  Anything that cannot become a valid conversation raises
`TeacherOutputError` (or `StudentShapeError`, a `ValueError` the queue reports the same way) with a sentence
that becomes the failed job's reason; nothing half-valid is stored.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

from core.student import MAX_USER_TURN_CHARS, StudentShapeError, turns_from_text, turns_from_tool_input
from core.teacher.base import TeacherOutputError, TeacherResult, looks_like_refusal

BACKFILL_TOOL_NAME = "record_user_turn"


def request_hash(system: str, user: str) -> str:
    """sha256 of a teacher request (system prompt and user message): provenance a card can show."""
    digest = hashlib.sha256()
    digest.update(system.encode("utf-8", "replace"))
    digest.update(b"\x00")
    digest.update(user.encode("utf-8", "replace"))
    return digest.hexdigest()


def raw_answer(result: TeacherResult) -> str:
    """The teacher's answer as kept for provenance: the tool input as JSON, else the text."""
    if result.tool_input is not None:
        return json.dumps(result.tool_input, ensure_ascii=False)
    return result.text


def _check_stop(result: TeacherResult, max_tokens: int, what: str) -> None:
    stripped = (result.text or "").strip()
    if result.stop_reason == "refusal":
        raise TeacherOutputError("the teacher refused this request (stop reason: refusal).")
    if result.stop_reason == "max_tokens":
        raise TeacherOutputError(f"the answer was cut off at max_tokens ({max_tokens}) before the {what} was "
                                 f"complete; raise teacher.max_tokens in interiority.toml.")
    if result.tool_input is None:
        if not stripped:
            raise TeacherOutputError(f"the teacher returned no text and no tool call "
                                     f"(stop reason: {result.stop_reason or 'none'}).")
        if looks_like_refusal(stripped):
            raise TeacherOutputError(f"the teacher refused: {stripped[:120]!r}.")


def student_turns(result: TeacherResult, shape: str, max_tokens: int) -> list[dict[str, str]]:
    """The validated student conversation of an answer (StudentShapeError / TeacherOutputError: why not)."""
    _check_stop(result, max_tokens, "student conversation")
    if result.tool_input is not None:
        turns = turns_from_tool_input(result.tool_input, shape)
    else:
        turns = turns_from_text(result.text, shape)
    first_answer = next(t["content"] for t in turns if t["role"] == "assistant")
    if looks_like_refusal(first_answer):
        raise TeacherOutputError(f"the teacher refused in the answer turn: {first_answer[:120]!r}.")
    return turns


def backfill_tool() -> dict[str, Any]:
    """The tool a backfill answer fills in: the one user turn an existing answer responds to."""
    return {
        "name": BACKFILL_TOOL_NAME,
        "description": ("Record the natural message a person sent to the AI, to which the given answer is "
                        "the reply: a situation, a question or a remark, usually under 60 words, never "
                        "mentioning books, passages, writing or any task."),
        "input_schema": {
            "type": "object",
            "properties": {"user_turn": {"type": "string", "minLength": 1, "maxLength": MAX_USER_TURN_CHARS}},
            "required": ["user_turn"],
        },
    }


def _user_turn_in_text(text: str) -> Any:
    decoder = json.JSONDecoder()
    index = text.find("{")
    while index != -1:
        try:
            obj, _end = decoder.raw_decode(text, index)
        except (json.JSONDecodeError, RecursionError):
            obj = None
        if isinstance(obj, dict) and "user_turn" in obj:
            return obj
        index = text.find("{", index + 1)
    raise StudentShapeError('The reply holds no JSON object with "user_turn".')


def backfill_user_turn(result: TeacherResult, max_tokens: int) -> str:
    """The validated user turn of a backfill answer (a sentence saying why not, as an exception)."""
    _check_stop(result, max_tokens, "user turn")
    found = result.tool_input if result.tool_input is not None else _user_turn_in_text(result.text)
    if not isinstance(found, Mapping):
        raise StudentShapeError("The teacher's tool call carried no object.")
    turn = found.get("user_turn")
    if not isinstance(turn, str) or not turn.strip():
        raise StudentShapeError("The backfill answer holds no user turn (user_turn is missing or empty).")
    turn = turn.strip()
    if len(turn) > MAX_USER_TURN_CHARS:
        raise StudentShapeError(f"The backfilled user turn is {len(turn):,} characters, over the "
                                f"{MAX_USER_TURN_CHARS:,} allowed for it.")
    return turn
