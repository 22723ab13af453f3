"""Openings repeated across the corpus: the same first words in more than a set share of examples.

A teacher that starts a fifth of its answers with "The light through the window" teaches the student
model one opening.  Counts are kept incrementally so a new example is checked in O(1).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Optional

# Below this many examples sharing an opening it is chance, whatever the share (two of ten is 20%).
MIN_REPEATS = 3


def opening_key(normalized_text: str, words: int) -> str:
    """The first `words` normalized words, or "" when the text is shorter than that."""
    parts = normalized_text.split(" ", words)
    if len(parts) < words or not parts[0]:
        return ""
    return " ".join(parts[:words])


class OpeningCounter:
    """How many examples open with each key, and which of them are repeated too often."""

    def __init__(self, share: float, min_repeats: int = MIN_REPEATS) -> None:
        self.share = share
        self.min_repeats = min_repeats
        self.counts: Counter[str] = Counter()
        self.total = 0

    def add(self, key: str) -> None:
        self.total += 1
        if key:
            self.counts[key] += 1

    def remove(self, key: str) -> None:
        self.total = max(0, self.total - 1)
        if key and self.counts[key] > 0:
            self.counts[key] -= 1
            if not self.counts[key]:
                del self.counts[key]

    def is_repeated(self, key: str, count: Optional[int] = None, total: Optional[int] = None) -> bool:
        count = self.counts.get(key, 0) if count is None else count
        total = self.total if total is None else total
        return bool(key) and count >= self.min_repeats and total > 0 and count > self.share * total

    def flag(self, key: str, count: Optional[int] = None, total: Optional[int] = None) -> Optional[dict[str, Any]]:
        count = self.counts.get(key, 0) if count is None else count
        total = self.total if total is None else total
        if not self.is_repeated(key, count, total):
            return None
        return {"code": "repeated-opening",
                "detail": f"opens with \u201c{key}\u201d like {count} of {total} examples "
                          f"({100.0 * count / total:.1f}%, over {100.0 * self.share:g}%)",
                "opening": key, "count": count, "total": total}
