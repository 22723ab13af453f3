"""The reviewer's edit drawn as a word diff against the teacher's original (`d` on an edited card).

The diff itself is `core.review.diff` (pure, tested there); this module only styles it: words the reviewer
removed struck through in red, words they wrote underlined in green, every turn under its role label as
on the card.  Built only when the reviewer asks for it, never on the key path of the next card.
"""

from __future__ import annotations

from typing import Sequence

from rich.text import Text

from core.review.diff import TurnDiff, changed_words, turn_diffs, word_diff

DELETED_STYLE = "strike red"
INSERTED_STYLE = "bold underline green"
ROLE_STYLES = {"user": ("User", "bold cyan"), "assistant": ("Assistant", "bold green")}

Turn = tuple[str, str]


def _pieces(text: Text, diff: TurnDiff) -> None:
    for op, piece in diff.pieces:
        text.append(piece, style=DELETED_STYLE if op == "delete" else INSERTED_STYLE if op == "insert" else "")


def diff_body(original_turns: Sequence[Turn], turns: Sequence[Turn], original: str = "", text: str = "") -> Text:
    """The card's text as a word diff: every turn (or, without a student conversation, the answer)."""
    body = Text()
    if original_turns:
        diffs = turn_diffs([{"role": r, "content": c} for r, c in original_turns],
                           [{"role": r, "content": c} for r, c in turns])
    else:
        diffs = [TurnDiff("assistant", tuple(word_diff(original, text)))]
    inserted, deleted = changed_words(diffs)
    body.append(f"Your edit against the teacher's original: +{inserted} / \u2212{deleted} words "
                f"(d returns to the card)\n\n", style="italic")
    for index, diff in enumerate(diffs):
        if index:
            body.append("\n\n")
        label, style = ROLE_STYLES.get(diff.role, (diff.role.title() or "?", "bold"))
        body.append(label + (" (changed)" if diff.changed else "") + "\n", style=style)
        _pieces(body, diff)
    return body
