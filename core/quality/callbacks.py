"""`no-callback`: a continuity conversation whose later answers never return to anything said before.

Continuity examples (template 4) exist to teach one thing the method's success questions ask about: does
the model keep a feeling across turns and refer back to its own earlier thoughts?  A multi-turn
conversation whose later answers each start afresh teaches the opposite, however good each answer is.

The test, for every assistant turn after the first: does it share a content word with an EARLIER exchange
(the user and assistant turns before the user turn it answers), or use an explicit back reference ("you
said", "I mentioned", "earlier", "still", "again", "that thing about", ...)?  Words are compared as rough
lemmas (case folded, contractions cut, common suffixes stripped: "rained" ~ "raining" ~ "rain") with stop
words and everyday verbs left out, so sharing "the", "think" or "really" is not a callback.  The flag fires
when no later answer passes.  The current user turn is left out of the comparison on purpose: answering
the question just asked is not remembering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

from core.quality.leaks import STOP_WORDS

BACK_REFERENCES = re.compile(
    r"\b(?:earlier|still|again|you\s+said|you\s+mentioned|you\s+told\s+me|i\s+said|i\s+mentioned|i\s+told\s+you"
    r"|as\s+i\s+said|like\s+i\s+said|that\s+thing\s+about|the\s+thing\s+(?:about|you)|last\s+time"
    r"|(?:go|going|come|coming|came|get|getting)\s+back\s+to|keep\s+(?:thinking|coming\s+back)"
    r"|what\s+you\s+said|when\s+you\s+said|you\s+asked|first\s+asked)\b",
    re.IGNORECASE)
_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
MIN_LEMMA = 3


def lemma(word: str) -> str:
    """A rough lemma: lower case, contraction cut, plural / -ing / -ed / -ly stripped ("" for stop words)."""
    word = word.casefold().replace("\u2019", "'")
    if word in STOP_WORDS:
        return ""
    word = word.split("'")[0]
    if word in STOP_WORDS or len(word) < MIN_LEMMA:
        return ""
    for suffix, replacement, keep in (("ies", "y", 4), ("ing", "", 5), ("ied", "y", 4), ("ed", "", 4),
                                      ("ly", "", 5), ("es", "", 5), ("s", "", 4)):
        if word.endswith(suffix) and len(word) >= keep + len(suffix) - 1 and not word.endswith("ss"):
            word = word[: len(word) - len(suffix)] + replacement
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # "stopp(ed)" -> "stop", "runn(ing)" -> "run"
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]  # "rained"/"rain", but also "hope"/"hoping" -> "hop": both sides the same way
    return "" if word in STOP_WORDS or len(word) < MIN_LEMMA else word


def content_lemmas(text: str) -> set[str]:
    return {lem for lem in (lemma(token) for token in _TOKEN.findall(text)) if lem}


@dataclass(frozen=True)
class Callback:
    """How one later answer refers back: the shared words or the back reference (empty: it does not)."""

    turn: int  # 1-based index of the assistant turn in the conversation
    shared: tuple[str, ...]
    reference: str

    @property
    def found(self) -> bool:
        return bool(self.shared or self.reference)


def callbacks(turns: Sequence[Mapping[str, str]]) -> list[Callback]:
    """For each assistant turn after the first exchange: what it shares with the exchanges before it."""
    results: list[Callback] = []
    earlier: set[str] = set()
    exchange: set[str] = set()  # the current exchange's turns, added to `earlier` when it is over
    for number, turn in enumerate(turns, 1):
        content = str(turn.get("content", ""))
        if turn.get("role") == "user":
            earlier |= exchange
            exchange = content_lemmas(content)
            continue
        lemmas = content_lemmas(content)
        if earlier:
            match = BACK_REFERENCES.search(content)
            results.append(Callback(number, tuple(sorted(lemmas & earlier)), match.group() if match else ""))
        exchange |= lemmas
    return results


def no_callback_flag(turns: Sequence[Mapping[str, str]], shape: str) -> Optional[dict[str, str]]:
    """The `no-callback` flag of a continuity conversation, or None (other shapes are never flagged)."""
    if shape != "continuity":
        return None
    later = callbacks(turns)
    if not later or any(c.found for c in later):
        return None
    numbers = ", ".join(str(c.turn) for c in later)
    return {"code": "no-callback",
            "detail": (f"a continuity conversation whose later answers (turn{'s' if len(later) > 1 else ''} "
                       f"{numbers}) never refer back to an earlier turn: no shared words beyond common ones, "
                       f"no \u201cyou said\u201d, \u201cearlier\u201d, \u201cagain\u201d")}
