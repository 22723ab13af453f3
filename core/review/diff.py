"""The reviewer's edit as a word diff against the teacher's original, turn by turn.

A reviewer checking an edit (theirs from yesterday, or a colleague's) wants to see what changed, not to
read two conversations side by side.  `turn_diffs` pairs each turn of the conversation as it will be
trained on (`Example.final_student`) with the teacher's turn at the same place (`Example.student`) and
diffs them word by word (each word with the whitespace after it, so joining the pieces gives both texts back exactly).  Pure
and cheap; the screen computes it only when the reviewer asks for the diff.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal, Mapping, Sequence

Op = Literal["equal", "insert", "delete"]
Piece = tuple[Op, str]

# A word with the whitespace after it (leading whitespace alone): a replaced phrase stays one piece instead of
# words interleaved with the unchanged spaces between them.
_TOKEN = re.compile(r"^\s+|\S+\s*")


def word_diff(original: str, edited: str) -> list[Piece]:
    """Pieces that rebuild `original` from the equal + delete ones and `edited` from the equal + insert ones."""
    a, b = _TOKEN.findall(original), _TOKEN.findall(edited)
    pieces: list[Piece] = []

    def add(op: Op, tokens: Sequence[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if pieces and pieces[-1][0] == op:
            pieces[-1] = (op, pieces[-1][1] + text)
        else:
            pieces.append((op, text))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            add("equal", a[i1:i2])
        else:
            add("delete", a[i1:i2])
            add("insert", b[j1:j2])
    return pieces


@dataclass(frozen=True)
class TurnDiff:
    """One turn: its role (the edited one's, else the original's) and the word diff of its text."""

    role: str
    pieces: tuple[Piece, ...]

    @property
    def changed(self) -> bool:
        return any(op != "equal" for op, _text in self.pieces)


def turn_diffs(original: Sequence[Mapping[str, str]], final: Sequence[Mapping[str, str]]) -> list[TurnDiff]:
    """Each turn of `final` against the turn of `original` at the same place; a turn only one has is all
    inserted (or all deleted)."""
    diffs = []
    for index in range(max(len(original), len(final))):
        before = original[index] if index < len(original) else None
        after = final[index] if index < len(final) else None
        role = str((after or before or {}).get("role", ""))
        diffs.append(TurnDiff(role, tuple(word_diff(str((before or {}).get("content", "")),
                                                    str((after or {}).get("content", ""))))))
    return diffs


def changed_words(diffs: Sequence[TurnDiff]) -> tuple[int, int]:
    """(words inserted, words deleted) over all turns, for the card's one-line summary."""
    inserted = sum(len(text.split()) for d in diffs for op, text in d.pieces if op == "insert")
    deleted = sum(len(text.split()) for d in diffs for op, text in d.pieces if op == "delete")
    return inserted, deleted
