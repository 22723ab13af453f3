"""The flags of a student conversation: `exercise-leak`, `copies-passage`, `no-callback` (issue 14).

The other flags look at the final answer's prose; these look at what makes a student conversation fit to
train on: user turns that sound like a person, not a writing brief (`core.quality.leaks`); no turn that
carries the book's words into the training file (`core.quality.copying`, the same definition the Review
card marks); and, for continuity conversations, later answers that return to something said before
(`core.quality.callbacks`).  An example without a student conversation gets none of them: it is excluded
from builds anyway, and its card says so.

Every function here takes any list of turns without raising (a property test feeds it arbitrary ones):
a turn that is not a role/content mapping is skipped.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from core.quality.callbacks import no_callback_flag
from core.quality.copying import conversation_copies
from core.quality.leaks import LeakDetector, describe

STUDENT_FLAG_CODES = ("exercise-leak", "copies-passage", "no-callback")
QUOTE_WORDS = 16  # copied words shown in a flag's detail before an ellipsis


def clean_turns(turns: Sequence[Any]) -> list[dict[str, str]]:
    """The role/content turns of a conversation as strings; anything else is dropped."""
    out: list[dict[str, str]] = []
    for turn in turns if isinstance(turns, (list, tuple)) else ():
        if isinstance(turn, Mapping) and isinstance(turn.get("content"), str):
            out.append({"role": str(turn.get("role", "")), "content": turn["content"]})
    return out


def _quote(text: str) -> str:
    words = text.split()
    shown = " ".join(words[:QUOTE_WORDS]) + ("\u2026" if len(words) > QUOTE_WORDS else "")
    return f"\u201c{shown}\u201d"


def leak_flag(turns: Sequence[Mapping[str, str]], detector: LeakDetector, author: str = "",
              title: str = "") -> Optional[dict[str, Any]]:
    """`exercise-leak` when a user turn gives away the exercise; names each leaking turn and what leaked."""
    parts: list[str] = []
    numbers: list[int] = []
    for number, turn in enumerate(turns, 1):
        if turn.get("role") != "user":
            continue
        leaks = detector.find(turn.get("content", ""), author=author, title=title)
        if leaks:
            numbers.append(number)
            parts.append(f"user turn {number} {describe(leaks)}")
    if not parts:
        return None
    return {"code": "exercise-leak", "detail": "; ".join(parts) + " (a person would not say this to an AI)",
            "turns": numbers}


def copy_flag(turns: Sequence[Mapping[str, str]], passage: str) -> Optional[dict[str, Any]]:
    """`copies-passage` when any turn copies 8+ consecutive words of the passage; names the turn and the words."""
    if not passage.strip():
        return None
    copies = conversation_copies([turn.get("content", "") for turn in turns], passage)
    parts: list[str] = []
    numbers: list[int] = []
    for number, (turn, copied) in enumerate(zip(turns, copies.per_turn), 1):
        if not copied.in_example:
            continue
        numbers.append(number)
        content = turn.get("content", "")
        runs = [content[start:end] for start, end in copied.in_example]
        role = turn.get("role", "") or "turn"
        parts.append(f"turn {number} ({role}) copies {copied.copied_words} words of the passage: "
                     + ", ".join(_quote(run) for run in runs[:2]) + (" and more" if len(runs) > 2 else ""))
    if not parts:
        return None
    return {"code": "copies-passage", "detail": "; ".join(parts), "turns": numbers}


def student_flags(turns: Sequence[Any], shape: str, passage: str, detector: LeakDetector, author: str = "",
                  title: str = "") -> list[dict[str, Any]]:
    """The student-conversation flags of one example (none when it has no student conversation)."""
    clean = clean_turns(turns)
    if not clean:
        return []
    flags: list[dict[str, Any]] = []
    for flag in (leak_flag(clean, detector, author, title), copy_flag(clean, passage), no_callback_flag(clean, shape)):
        if flag is not None:
            flags.append(dict(flag))
    return flags
