"""Length outliers and per-template format checks.

Lengths are flagged two ways: outside the absolute bounds of `[quality] min_words / max_words`, and far
from the corpus's own lengths by a robust z-score (median and MAD, Iglewicz and Hoaglin's modified z),
which a few very long examples cannot drag along the way a mean and standard deviation would.

The spread under the z-score has a floor: on a uniform set (median 17 words, MAD 1) a 23-word answer
scored z = +4 and was flagged, though six words is no outlier to a reader.  The scale is at least 15% of
the median and at least 5 words, so only lengths a reader would call far off are flagged.
"""

from __future__ import annotations

import bisect
import re
from typing import Any, Iterable, Optional, Sequence

import numpy as np

ROBUST_Z_LIMIT = 3.5
MIN_SPREAD_SHARE = 0.15  # the scale under the z-score is at least this share of the median ...
MIN_SPREAD_WORDS = 5.0  # ... and at least this many words
MAD_TO_SIGMA = 1.4826  # MAD times this estimates the standard deviation of a normal sample
MIN_CORPUS_FOR_Z = 20  # below this the median and MAD say little

# Templates whose examples must hold dialogue.
DIALOGUE_TEMPLATES = frozenset({"conversation", "conversational", "dialogue"})
_QUOTED_SPEECH = re.compile(r"[\"“«„][^\"“”«»„]{2,}?[\"”»]")
_TURN_MARKER = re.compile(r"^\s*(?:\*\*)?[A-Z][\w .'-]{0,30}(?:\*\*)?:\s+\S", re.MULTILINE)
_DASH_LINE = re.compile(r"^\s*[—–-]\s*\S", re.MULTILINE)


class LengthStats:
    """Word counts of the corpus, kept sorted so the median is O(1) and the MAD one numpy pass."""

    def __init__(self, lengths: Iterable[int] = ()) -> None:
        self.sorted: list[int] = sorted(lengths)
        self._mad_cache: Optional[tuple[int, float, float]] = None

    def add(self, words: int) -> None:
        bisect.insort(self.sorted, words)
        self._mad_cache = None

    def remove(self, words: int) -> None:
        position = bisect.bisect_left(self.sorted, words)
        if position < len(self.sorted) and self.sorted[position] == words:
            del self.sorted[position]
            self._mad_cache = None

    def median_mad(self) -> tuple[float, float]:
        if self._mad_cache is None or self._mad_cache[0] != len(self.sorted):
            values = np.asarray(self.sorted, dtype=np.float64)
            median = float(np.median(values)) if values.size else 0.0
            mad = float(np.median(np.abs(values - median))) if values.size else 0.0
            self._mad_cache = (len(self.sorted), median, mad)
        return self._mad_cache[1], self._mad_cache[2]

    def spread(self) -> float:
        """The scale of the z-score in words: the MAD as a standard deviation, floored (module docstring)."""
        median, mad = self.median_mad()
        return max(MAD_TO_SIGMA * mad, MIN_SPREAD_SHARE * median, MIN_SPREAD_WORDS)

    def robust_z(self, words: int) -> Optional[float]:
        if len(self.sorted) < MIN_CORPUS_FOR_Z:
            return None
        median, _mad = self.median_mad()
        return (words - median) / self.spread()


def length_flags(words: int, min_words: int, max_words: int) -> list[dict[str, Any]]:
    """The absolute bounds (they do not depend on the corpus)."""
    if words < min_words:
        return [{"code": "too-short", "detail": f"{words} words, under the minimum of {min_words}",
                 "words": words}]
    if words > max_words:
        return [{"code": "too-long", "detail": f"{words} words, over the maximum of {max_words}", "words": words}]
    return []


def outlier_flag(words: int, stats: LengthStats) -> Optional[dict[str, Any]]:
    z = stats.robust_z(words)
    if z is None or abs(z) <= ROBUST_Z_LIMIT:
        return None
    median, _mad = stats.median_mad()
    side = "longer" if z > 0 else "shorter"
    return {"code": "length-outlier",
            "detail": f"{words} words, far {side} than the corpus (median {median:.0f}, robust z {z:+.1f})",
            "words": words, "z": round(z, 2)}


def needs_dialogue(template_id: str, template_name: str = "") -> bool:
    return template_id.lower() in DIALOGUE_TEMPLATES or "conversation" in template_name.lower()


def dialogue_evidence(text: str, messages: Sequence[dict[str, Any]] = ()) -> int:
    """How many signs of dialogue the example holds: quoted lines, speaker turns, dash lines, chat turns."""
    turns = sum(1 for m in messages if m.get("role") in ("user", "assistant"))
    chat_turns = max(0, turns - 2)  # one request and one answer are not a conversation
    return (len(_QUOTED_SPEECH.findall(text)) + len(_TURN_MARKER.findall(text))
            + len(_DASH_LINE.findall(text)) + chat_turns)


def format_flags(text: str, template_id: str, template_name: str = "",
                 messages: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    flags: list[dict[str, Any]] = []
    if not text.strip():
        return [{"code": "empty", "detail": "the teacher's answer is empty"}]
    if needs_dialogue(template_id, template_name) and dialogue_evidence(text, messages) < 2:
        flags.append({"code": "format",
                      "detail": f"template \u201c{template_id}\u201d needs dialogue, but the text holds no quoted "
                                "speech or speaker turns"})
    return flags
