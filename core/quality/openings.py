"""Openings repeated across the corpus: the same first words in more than a set share of examples.

A teacher that starts a fifth of its answers with "The light through the window" teaches the student
model one opening.  Counts are kept incrementally so a new example is checked in O(1).

Stored flags must follow the counts without a full `interiority flag`: when an example arrives, the
examples sharing its opening have a new count, and as the corpus grows an opening can fall under the
share (`share x total` rises past its count) without gaining or losing a member.  The counter keeps its
openings by count, so `fallen_under_share` finds those in O(1) per arrival.
"""

from __future__ import annotations

import math
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
        self.by_count: dict[int, set[str]] = {}  # count -> openings with that many examples

    def _move(self, key: str, old: int, new: int) -> None:
        if old:
            bucket = self.by_count.get(old)
            if bucket is not None:
                bucket.discard(key)
                if not bucket:
                    del self.by_count[old]
        if new:
            self.by_count.setdefault(new, set()).add(key)

    def add(self, key: str) -> None:
        self.total += 1
        if key:
            self.counts[key] += 1
            self._move(key, self.counts[key] - 1, self.counts[key])

    def remove(self, key: str) -> None:
        self.total = max(0, self.total - 1)
        if key and self.counts[key] > 0:
            self.counts[key] -= 1
            self._move(key, self.counts[key] + 1, self.counts[key])
            if not self.counts[key]:
                del self.counts[key]

    def fallen_under_share(self) -> list[str]:
        """Openings that were repeated one example ago and are not now, only because the total grew.

        An opening with count c is repeated while c > share x total; adding one example to the total can
        only drop the openings whose count lies in (share x (total-1), share x total], one integer at most.
        """
        if self.total <= 1:
            return []
        count = math.floor(self.share * self.total)
        if count < self.min_repeats or count <= self.share * (self.total - 1):
            return []
        return sorted(key for key in self.by_count.get(count, ())
                      if self.is_repeated(key, count, self.total - 1) and not self.is_repeated(key))

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
