"""Leakage-safe train/valid/test splits, fixed per passage (or per book) before anything is chosen.

WHY assign before choosing: staged builds take nested subsets of one pool, and a
passage must land in the same split in every stage (or a 500-example model would be
validated on text the 1,000-example model trained on).  So every unit (passage, or
book with `group_by="book"`) of the pool gets its split once: units are visited in
the order of a seeded hash of their id, and each goes to the split furthest below
its share of the pool's examples.  The hash makes the order reproducible and
independent of database order; the quotas keep the shares close to the asked
ratios even when there are only a handful of books.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Optional

from core.dataset.items import DatasetItem
from core.errors import UserError

SPLITS = ("train", "valid", "test")
GROUP_BY = ("passage", "book")


class LeakageError(AssertionError):
    """A unit ended up in two splits: a bug, never a user's mistake (the build is not written)."""


class SplitError(UserError):
    """Split ratios that leave no room for training."""


def seeded_fraction(seed: int, label: str) -> float:
    """A reproducible number in [0, 1) for `label` under `seed`."""
    digest = hashlib.sha256(f"{seed}\x1f{label}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def unit_of(item: DatasetItem, group_by: str) -> Optional[str]:
    """The leakage unit an item belongs to; None for general rows (they have no passage)."""
    if not item.is_example:
        return None
    if group_by == "book":
        return f"book:{item.book_id}"
    return f"passage:{item.passage_id}"


@dataclass
class SplitPlan:
    """Which split every unit (and every general row) of a pool belongs to."""

    seed: int
    group_by: str
    ratios: dict[str, float]
    units: dict[str, str]  # unit -> split
    general: dict[int, str]  # general item key -> split

    def split_of(self, item: DatasetItem) -> str:
        unit = unit_of(item, self.group_by)
        if unit is None:
            return self.general[item.key]
        return self.units[unit]


def check_ratios(valid_ratio: float, test_ratio: float) -> dict[str, float]:
    for name, value in (("valid", valid_ratio), ("test", test_ratio)):
        if not 0.0 <= value < 1.0:
            raise SplitError(f"The {name} ratio must be between 0 and 1, got {value}; try 0.1.")
    if valid_ratio + test_ratio >= 0.9:
        raise SplitError(f"valid + test = {valid_ratio + test_ratio:.2f} leaves too little for training; "
                         f"keep their sum under 0.9.")
    return {"train": 1.0 - valid_ratio - test_ratio, "valid": valid_ratio, "test": test_ratio}


def plan_splits(pool: Iterable[DatasetItem], valid_ratio: float, test_ratio: float, seed: int,
                group_by: str = "passage") -> SplitPlan:
    """Assign every unit of `pool` to a split (see the module docstring)."""
    if group_by not in GROUP_BY:
        raise SplitError(f"group_by must be passage or book, got {group_by!r}.")
    ratios = check_ratios(valid_ratio, test_ratio)
    sizes: Counter[str] = Counter()
    general_keys: list[int] = []
    for item in pool:
        unit = unit_of(item, group_by)
        if unit is None:
            general_keys.append(item.key)
        else:
            sizes[unit] += 1
    units = _assign(sizes, ratios, seed, f"{group_by}")
    general = _assign(Counter({str(k): 1 for k in general_keys}), ratios, seed, "general")
    return SplitPlan(seed=seed, group_by=group_by, ratios=ratios, units=units,
                     general={int(k): s for k, s in general.items()})


def _assign(sizes: Counter[str], ratios: dict[str, float], seed: int, salt: str) -> dict[str, str]:
    order = sorted(sizes, key=lambda unit: (seeded_fraction(seed, f"{salt}:{unit}"), unit))
    total = sum(sizes.values())
    assigned: Counter[str] = Counter()
    out: dict[str, str] = {}
    for unit in order:
        # Deficit after placing this unit, relative to the split's target: pick the most starved split.
        def need(split: str) -> float:
            return ratios[split] * total - assigned[split]
        best = max((s for s in SPLITS if ratios[s] > 0), key=lambda s: (need(s), s == "train"))
        out[unit] = best
        assigned[best] += sizes[unit]
    return out


def leakage_report(splits: dict[str, list[DatasetItem]]) -> dict[str, object]:
    """Passages and books per split and their overlaps; raises LeakageError on any overlap."""
    passages = {s: {i.passage_id for i in items if i.is_example} for s, items in splits.items()}
    books = {s: {i.book_id for i in items if i.is_example} for s, items in splits.items()}
    overlaps: dict[str, int] = {}
    for a_index, a in enumerate(SPLITS):
        for b in SPLITS[a_index + 1:]:
            overlaps[f"passages {a}/{b}"] = len(passages.get(a, set()) & passages.get(b, set()))
            overlaps[f"books {a}/{b}"] = len(books.get(a, set()) & books.get(b, set()))
    return {
        "passages_per_split": {s: len(passages.get(s, set())) for s in SPLITS},
        "books_per_split": {s: len(books.get(s, set())) for s in SPLITS},
        "overlaps": overlaps,
    }


def assert_no_leakage(report: dict[str, object], group_by: str) -> None:
    overlaps = report["overlaps"]
    assert isinstance(overlaps, dict)
    checked = [k for k in overlaps if k.startswith("passages") or (group_by == "book" and k.startswith("books"))]
    leaks = {k: overlaps[k] for k in checked if overlaps[k]}
    if leaks:
        raise LeakageError(f"Split leakage found ({leaks}); the build was not written. Please report this bug.")
