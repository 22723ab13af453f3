"""Exact and near-duplicate removal across a build, keeping the better copy.

Items are visited best first (edited before teacher-original, then the earlier one),
so the first copy seen of any text is the one kept.  Exact duplicates are found by a
hash of the normalized assistant text; near-duplicates by `NearDuplicateIndex`
(MinHash LSH candidates verified with rapidfuzz), all texts at once.
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

    The returned `kept` list is in the best-first order used for the decision.  Exact copies are grouped
    by hash in one pass; the distinct texts go to `NearDuplicateIndex.add_many` at once (one sort per LSH
    band, capped buckets: linear in the number of texts, however many are alike), and an item is removed
    when it matches an earlier item that was kept, as if the index only ever held kept texts.
    """
    ordered = sorted(items, key=DatasetItem.dedup_rank)
    total = len(ordered)
    result = DedupResult(kept=[])
    first_by_digest: dict[str, DatasetItem] = {}
    distinct: list[DatasetItem] = []
    copies: list[tuple[DatasetItem, DatasetItem]] = []  # (copy, the first item with its text)
    for item in ordered:
        digest = text_hash(item.assistant_text)
        first = first_by_digest.setdefault(digest, item)
        if first is item:
            distinct.append(item)
        else:
            copies.append((item, first))
    _report(progress, 0, total)
    found: dict[int, list[tuple[int, float]]] = {}
    if near and len(distinct) > 1:
        from core.quality.near_duplicates import NearDuplicateIndex

        index = NearDuplicateIndex(ratio_threshold=ratio_threshold)
        found = index.add_many((item.key, item.assistant_text) for item in distinct)
    kept: set[int] = set()
    removed_as: dict[int, tuple[int, float]] = {}  # near-removed key -> (kept key, score)
    for position, item in enumerate(distinct):
        match = next(((other, score) for other, score in found.get(item.key, ()) if other in kept), None)
        if match is None:
            kept.add(item.key)
            result.kept.append(item)
        else:
            removed_as[item.key] = match
            result.near_removed.append((item.key, match[0], float(match[1])))
        if progress is not None and position % 500 == 0:
            progress(len(copies) + position + 1, total)
    for copy, first in copies:
        if first.key in kept:
            result.exact_removed.append((copy.key, first.key))
        else:  # a copy of a near-duplicate is a near-duplicate of the same kept item
            kept_key, score = removed_as[first.key]
            result.near_removed.append((copy.key, kept_key, score))
    _report(progress, total, total)
    return result


def _report(progress: Optional[Callable[[int, int], None]], done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)
