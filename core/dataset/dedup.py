"""Exact and near-duplicate removal across a build, keeping the better copy.

Items are visited best first (edited before teacher-original, then the earlier one),
so the first copy seen of any text is the one kept.  Exact duplicates are found by a
hash of the normalized assistant text; near-duplicates by the review engineer's
`NearDuplicateIndex` (MinHash LSH candidates verified with rapidfuzz), which only
ever holds the kept items, so one pass is enough.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Optional

from core.dataset.items import DatasetItem

_WORD = re.compile(r"[^\W_]+")


def normalized_text(text: str) -> str:
    """Case-, accent-form-, punctuation- and whitespace-insensitive form of a text."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(_WORD.findall(text.casefold()))


def text_hash(text: str) -> str:
    return hashlib.sha256(normalized_text(text).encode("utf-8")).hexdigest()


@dataclass
class DedupResult:
    kept: list[DatasetItem]
    exact_removed: list[tuple[int, int]] = field(default_factory=list)  # (removed key, kept key)
    near_removed: list[tuple[int, int, float]] = field(default_factory=list)  # (removed, kept, score)

    def stats(self) -> dict[str, int]:
        return {"kept": len(self.kept), "exact_removed": len(self.exact_removed),
                "near_removed": len(self.near_removed)}


def deduplicate(items: list[DatasetItem], near: bool = True, ratio_threshold: float = 85.0,
                progress: Optional[Callable[[int, int], None]] = None) -> DedupResult:
    """Remove exact and (when `near`) near-duplicate items; keep the best copy of each.

    The returned `kept` list is in the best-first order used for the decision.
    """
    ordered = sorted(items, key=DatasetItem.dedup_rank)
    seen: dict[str, int] = {}
    result = DedupResult(kept=[])
    index = None
    if near:
        from core.quality.near_duplicates import NearDuplicateIndex

        index = NearDuplicateIndex(ratio_threshold=ratio_threshold)
    total = len(ordered)
    for position, item in enumerate(ordered):
        text = item.assistant_text
        digest = text_hash(text)
        if digest in seen:
            result.exact_removed.append((item.key, seen[digest]))
        else:
            # add() checks against every kept text and indexes this one; a match is taken back out,
            # so the index only ever holds kept texts (one MinHash per text, not two).
            matches = index.add(item.key, text) if index is not None else []
            if matches:
                index.remove(item.key)
                kept_key, score = matches[0]  # best first
                result.near_removed.append((item.key, kept_key, float(score)))
            else:
                seen[digest] = item.key
                result.kept.append(item)
        if progress is not None and (position % 500 == 0 or position == total - 1):
            progress(position + 1, total)
    return result
