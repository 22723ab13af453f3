"""A reviewer's edit of a student conversation: every turn, checked by the one definition of a valid one.

The reviewer may fix any turn (a user turn that leaks the exercise, an answer that copies the book), so an
edit is the whole conversation as it should be trained on (`Decision.edited_student`); the teacher's
original stays in `Example.student`.  Three ways in, one check (`core.student.validate_conversation` for
the example's shape):

- the studio's editor: the conversation as "User:" / "Assistant:" blocks of plain text
  (`conversation_text` / `parse_conversation_text`);
- `interiority decide N edit --edit-file F` with a JSON file of turns (a list, or `{"turns": [...]}`);
- the older plain-text form (`--edit-file` with text, the studio's editor for an example made before student
  conversations existed), meaning "replace the last answer" (`replace_last_answer`).
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping, Sequence, Union

from core.review.errors import ReviewError
from core.student import StudentShapeError, validate_conversation
from store.records import Example

LABELS = {"user": "User", "assistant": "Assistant"}
_LABEL_LINE = re.compile(r"^(user|assistant)\s*:[ \t]*(.*)$", re.IGNORECASE)

Turns = list[dict[str, str]]


def conversation_text(turns: Sequence[Mapping[str, str]]) -> str:
    """The conversation as editable plain text: a "User:" or "Assistant:" line, then the turn, a blank line between."""
    blocks = [f"{LABELS.get(str(t.get('role', '')), str(t.get('role', '')).title())}:\n{t.get('content', '')}"
              for t in turns]
    return "\n\n".join(blocks) + "\n"


def parse_conversation_text(text: str) -> Turns:
    """Turns from the editor's text: each "User:" / "Assistant:" line (any case) starts a turn.

    The words after the label on its line belong to the turn.  Raises `ReviewError` when there is text
    before the first label (the roles are then unknown); the roles' order is checked by the caller's
    `validate_conversation`.
    """
    turns: Turns = []
    before: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):  # only newlines: U+2028 or U+0085 stay inside a turn
        match = _LABEL_LINE.match(line.strip())
        if match:
            turns.append({"role": match.group(1).lower(), "content": match.group(2)})
        elif turns:
            turns[-1]["content"] += "\n" + line
        elif line.strip():
            before.append(line)
    if before:
        raise ReviewError(f"The text \u201c{before[0].strip()[:40]}\u201d comes before any \u201cUser:\u201d line: "
                          f"start each turn with a line \u201cUser:\u201d or \u201cAssistant:\u201d.")
    return [{"role": t["role"], "content": t["content"].strip()} for t in turns]


def shape_of(example: Example) -> str:
    """The example's student shape; an older record without one: by its number of user turns."""
    if example.student_shape:
        return example.student_shape
    users = sum(1 for turn in example.student if turn.get("role") == "user")
    return "continuity" if users > 1 else "single"


def check_turns(example: Example, turns: Any) -> Turns:
    """`turns` validated for the example's shape; `ReviewError` with the reason when they break it."""
    if not example.has_student:
        raise ReviewError(f"Example {example.id} has no student conversation yet (run `interiority backfill`, "
                          f"coming); edit its answer as plain text instead.")
    try:
        return validate_conversation(turns, shape_of(example))
    except StudentShapeError as exc:
        raise ReviewError(f"The edited conversation is not valid: {exc} Nothing was saved.") from None


def replace_last_answer(turns: Sequence[Mapping[str, str]], text: str) -> Turns:
    """A copy of `turns` whose last assistant turn is `text` (the plain-text edit's meaning)."""
    out = [{"role": str(t.get("role", "")), "content": str(t.get("content", ""))} for t in turns]
    for turn in reversed(out):
        if turn["role"] == "assistant":
            turn["content"] = text
            break
    return out


def parse_edit_file(text: str) -> Union[list[Any], str]:
    """An `--edit-file`'s content: a JSON list of turns (or `{"turns": [...]}`), else plain text (the last answer).

    A file that starts like JSON turns (`[{` or `{"`) but does not parse is an error, not an answer: a
    broken file must not silently become the training text.
    """
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as exc:
            if re.match(r"^(\[\s*\{|\{\s*\")", stripped):
                raise ReviewError(f"The edit file looks like JSON but does not parse ({exc.msg} at line "
                                  f"{exc.lineno}); fix it, or give plain text to replace the last answer.") from None
            return text
        if isinstance(value, Mapping) and "turns" in value:
            value = value["turns"]
        if isinstance(value, list):
            return value
        raise ReviewError('The edit file\'s JSON is neither a list of turns nor an object with "turns".')
    return text
