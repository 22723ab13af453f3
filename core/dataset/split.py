"""Leakage-safe train/valid/test splits, fixed per group of passages (or of books) before anything is chosen.

WHY groups of passages, not passage ids: the same text can be two passages (an exact duplicate
span, a sub-span of a longer one, the same chapter in two editions), and splitting on ids put it
in train and in test at once.  So passages that overlap in their book, have the same text or
share a 13-word run are one unit (`core.dataset.leakage.link_passages`); with
`group_by="book"` the books of such passages are one unit too.  After the rows are chosen, the
card's leakage check compares the splits' texts, not their ids (`leakage_report`).

WHY assign before choosing: staged builds take nested subsets of one pool, and a
passage must land in the same split in every stage (or a 500-example model would be
validated on text the 1,000-example model trained on).  So every unit of the pool gets its
split once: units are visited in the order of a seeded hash of their id, and each goes to the
split furthest below its share of the pool's examples.  The hash makes the order reproducible
and independent of database order; the quotas keep the shares close to the asked ratios even
when there are only a handful of books.

A split with ratio 0 does not exist.  A split with a positive ratio gets at least one passage
group when there are enough (`_fill_empty_splits`); when there are not, when whole books leave a
split empty, or when a stage would hold none of its rows, `check_honoured` stops the build with
a sentence saying what to change.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional

from core.dataset.items import DatasetItem
from core.dataset.leakage import PassageSpan, UnionFind, link_passages, text_leakage
from core.errors import UserError

SPLITS = ("train", "valid", "test")
GROUP_BY = ("passage", "book")


class LeakageError(AssertionError):
    """A unit ended up in two splits: a bug, never a user's mistake (the build is not written)."""


class SplitError(UserError):
    """Split ratios that leave no room for training, or that the pool cannot honour."""


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
    unit_of_passage: dict[int, str] = field(default_factory=dict)  # passage id -> its unit (linked groups)

    def unit(self, item: DatasetItem) -> Optional[str]:
        if item.is_example and item.passage_id in self.unit_of_passage:
            return self.unit_of_passage[item.passage_id]
        return unit_of(item, self.group_by)

    def split_of(self, item: DatasetItem) -> str:
        unit = self.unit(item)
        if unit is None:
            return self.general[item.key]
        return self.units[unit]

    def linked(self) -> int:
        """Passages that share a unit with another passage because of their text (not their book).

        Every member of such a unit counts, the first passage of each group too: two overlapping
        passages are two passages kept together, not one (counting only non-first members made the
        card say 5 for five linked pairs).
        """
        if self.group_by == "book":
            return 0
        sizes = Counter(self.unit_of_passage.values())
        return sum(1 for unit in self.unit_of_passage.values() if sizes[unit] > 1)


def check_ratios(valid_ratio: float, test_ratio: float) -> dict[str, float]:
    for name, value in (("valid", valid_ratio), ("test", test_ratio)):
        if not 0.0 <= value < 1.0:
            raise SplitError(f"The {name} ratio must be between 0 and 1, got {value}; try 0.1.")
    if valid_ratio + test_ratio >= 0.9:
        raise SplitError(f"valid + test = {valid_ratio + test_ratio:.2f} leaves too little for training; "
                         f"keep their sum under 0.9.")
    return {"train": 1.0 - valid_ratio - test_ratio, "valid": valid_ratio, "test": test_ratio}


def passage_units(pool: list[DatasetItem], group_by: str, spans: Mapping[int, PassageSpan]) -> dict[int, str]:
    """Each example's passage id -> its unit, after linking passages (and, by book, their books) by text."""
    links = link_passages(spans)
    if group_by == "passage":
        return {p: f"passage:{root}" for p, root in links.items()}
    books = UnionFind()
    for item in pool:
        if item.is_example and item.book_id is not None:
            books.find(item.book_id)
    for passage_id, root in links.items():
        books.union(spans[passage_id].book_id, spans[root].book_id)
    out: dict[int, str] = {}
    for item in pool:
        if item.is_example and item.passage_id is not None and item.book_id is not None:
            out[item.passage_id] = f"book:{books.find(item.book_id)}"
    return out


def plan_splits(pool: Iterable[DatasetItem], valid_ratio: float, test_ratio: float, seed: int,
                group_by: str = "passage", spans: Optional[Mapping[int, PassageSpan]] = None) -> SplitPlan:
    """Assign every unit of `pool` to a split (see the module docstring).

    `spans` (the pool's passages) lets overlapping or identical passages share a unit; without it,
    each passage (or book) is its own unit.
    """
    if group_by not in GROUP_BY:
        raise SplitError(f"group_by must be passage or book, got {group_by!r}.")
    ratios = check_ratios(valid_ratio, test_ratio)
    items = list(pool)
    plan = SplitPlan(seed=seed, group_by=group_by, ratios=ratios, units={}, general={},
                     unit_of_passage=passage_units(items, group_by, spans) if spans else {})
    sizes: Counter[str] = Counter()
    general_keys: list[int] = []
    for item in items:
        unit = plan.unit(item)
        if unit is None:
            general_keys.append(item.key)
        else:
            sizes[unit] += 1
    plan.units = _assign(sizes, ratios, seed, f"{group_by}", fill=group_by == "passage")
    general = _assign(Counter({str(k): 1 for k in general_keys}), ratios, seed, "general")
    plan.general = {int(k): s for k, s in general.items()}
    return plan


def _assign(sizes: Counter[str], ratios: dict[str, float], seed: int, salt: str, fill: bool = False) -> dict[str, str]:
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
    if fill:
        _fill_empty_splits(out, sizes, ratios, {unit: rank for rank, unit in enumerate(order)})
    return out


def _fill_empty_splits(out: dict[str, str], sizes: Counter[str], ratios: dict[str, float],
                       rank: dict[str, int]) -> None:
    """Give each split with a positive ratio at least one unit, taken from the split with the most units.

    WHY: with a handful of passages the quotas can leave valid or test empty (4 passages at 0.1 / 0.1
    gave valid 0, test 0), and a split asked for must exist: evaluation scores the test split and
    mlx-lm's trainer refuses an empty valid.jsonl.  Only the smallest unit of the richest split moves,
    and only when a split is empty, so pools large enough for the quotas are untouched.  Only for
    passages: a whole book moved to test would turn 10% into a third of the build, so grouping by
    book with too few books stops instead (`check_honoured`).
    """
    for split in SPLITS:
        if ratios[split] <= 0 or split in out.values():
            continue
        members: dict[str, list[str]] = {s: [] for s in SPLITS}
        for unit, where in out.items():
            members[where].append(unit)
        donor = max(SPLITS, key=lambda s: (len(members[s]), s == "train"))
        if len(members[donor]) < 2:
            return  # fewer units than splits: `check_honoured` says what to change
        moved = min(members[donor], key=lambda u: (sizes[u], -rank[u]))
        out[moved] = split


def honour_problem(counts: dict[str, int], ratios: dict[str, float], group_by: str, where: str,
                   smaller: bool = False) -> str:
    """The sentence that stops a build whose splits cannot hold what the ratios ask ("" when they can).

    `counts` are book examples per split (general rows do not make a split usable for evaluation);
    `where` opens the sentence ("With 3 books (each kept whole), the build"); `smaller` says the
    problem comes from a size or stage smaller than the pool, so a larger one is a fix too.
    """
    empty = [s for s in SPLITS if ratios.get(s, 0.0) > 0 and counts.get(s, 0) == 0]
    if not empty:
        return ""
    kind = "book" if group_by == "book" else "passage"
    missing = " and ".join(f"no {s} rows (ratio {ratios[s]:g})" for s in empty)
    options = ["ask for a larger size or smallest stage"] if smaller else []
    options.append(f"accept examples from more {kind}s")
    if group_by == "book":
        options.append("group by passage (--group-by passage)")
    without = [s for s in empty if s != "train"]
    if without:
        flags = " ".join(f"--{s} 0" for s in without)
        options.append(f"set {flags} to build without {' and '.join(without)} split{'s' if len(without) > 1 else ''}")
    why = []
    if "test" in empty:
        why.append("evaluation scores a model on the test split")
    if "valid" in empty:
        why.append("the validation loss during training needs valid rows")
    if "train" in empty:
        why.append("training needs train rows")
    choices = f"{', '.join(options[:-1])}, or {options[-1]}" if len(options) > 1 else options[0]
    return f"{where} would have {missing}, and {' and '.join(why)}: {choices}."


def check_honoured(problem: str) -> None:
    """Raise SplitError (nothing written yet) with `problem`, the sentence of `pool_problem` or `stage_problem`."""
    if problem:
        raise SplitError(problem)


def split_counts(items: Iterable[DatasetItem], plan: SplitPlan) -> dict[str, int]:
    """Book examples per split under `plan` (general rows left out)."""
    counts = {s: 0 for s in SPLITS}
    for item in items:
        if item.is_example:
            counts[plan.split_of(item)] += 1
    return counts


def pool_problem(pool: list[DatasetItem], plan: SplitPlan) -> str:
    """The sentence that stops a build whose pool cannot fill the splits asked for ("" when it can)."""
    examples = [i for i in pool if i.is_example]
    units = {plan.unit(i) for i in examples}
    raw = {(i.book_id if plan.group_by == "book" else i.passage_id) for i in examples}
    kind = "book" if plan.group_by == "book" else "passage"
    many = f"{len(raw)} {kind}{'s' if len(raw) != 1 else ''}"
    where = (f"With {many} (each kept whole in one split)" if len(raw) == len(units) else
             f"With {many} in {len(units)} group{'s' if len(units) != 1 else ''} (those sharing text are kept "
             f"together in one split)")
    return honour_problem(split_counts(examples, plan), plan.ratios, plan.group_by, f"{where}, the build")


def stage_problem(counts: dict[str, int], plan: SplitPlan, size: Optional[int], staged: bool) -> str:
    """The sentence that stops a build when one stage (or the asked size) leaves a split empty ("" if none)."""
    where = f"Stage {size}" if staged else (f"A build of {size} examples" if size else "The build")
    return honour_problem(counts, plan.ratios, plan.group_by, where, smaller=size is not None)


def missing_split_warnings(ratios: dict[str, float]) -> list[str]:
    """What a build without a valid or test split (ratio 0, as asked) cannot be used for."""
    out = []
    if ratios.get("test", 0.0) <= 0:
        out.append("There is no test split (test ratio 0): evaluation and held-out probes use the valid split "
                   "instead, or have nothing to score when there is none.")
    if ratios.get("valid", 0.0) <= 0:
        out.append("There is no valid split (valid ratio 0): training runs without a validation loss, so "
                   "overfitting shows only at evaluation; build again with --valid 0.1 to watch it.")
    return out


def share_warning(counts: dict[str, int], ratios: dict[str, float], group_by: str) -> str:
    """A sentence when the splits' shares of examples are far from the ratios (few, uneven units)."""
    total = sum(counts.values())
    if not total:
        return ""
    far = [s for s in SPLITS if ratios[s] > 0 and not ratios[s] / 2 <= counts.get(s, 0) / total <= ratios[s] * 2]
    if not far:
        return ""
    shares = ", ".join(f"{s} {counts.get(s, 0) / total:.0%}" for s in SPLITS)
    asked = " / ".join(f"{ratios[s]:.0%}" for s in SPLITS)
    unit = "books" if group_by == "book" else "passages"
    return (f"The splits hold {shares} of the examples against {asked} asked, because whole {unit} go to one "
            f"split; accept examples from more {unit}" + (" or group by passage" if group_by == "book" else "")
            + " for closer shares.")


def leakage_report(splits: dict[str, list[DatasetItem]],
                   spans: Optional[Mapping[int, PassageSpan]] = None) -> dict[str, object]:
    """Passages and books per split, their overlaps by id, and (with `spans`) by text (`text_leakage`)."""
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
        "text": text_leakage({s: splits.get(s, []) for s in SPLITS}, spans or {}),
    }


def assert_no_leakage(report: dict[str, object], group_by: str) -> None:
    overlaps = report["overlaps"]
    assert isinstance(overlaps, dict)
    checked = [k for k in overlaps if k.startswith("passages") or (group_by == "book" and k.startswith("books"))]
    leaks = {k: overlaps[k] for k in checked if overlaps[k]}
    if leaks:
        raise LeakageError(f"Split leakage found ({leaks}); the build was not written. Please report this bug.")

