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
split furthest below its share of the pool's examples (new units only; see below).  The hash
makes the order reproducible and independent of database order; the quotas keep the shares close
to the asked ratios even when there are only a handful of books.

WHY a ledger of earlier builds: quotas over the whole pool change whenever more examples are
accepted, so a passage in build 1's train could land in build 2's test, and a model trained on
build 1 was then compared on text it had trained on (held-out probes and evaluation score each
build's held-out split).  So the split every passage (or, by book, every book) was first given by
a written build is kept in the store's split ledger (`store/splits.py`), and `plan_splits` takes
it: a unit with members in the ledger keeps their split and counts toward the quotas first; only
new units are placed by quota.  When text links passages the ledger put in different splits, the
unit goes where most of its examples' passages were (ties to test, then valid) and the others are
counted as moved; a unit whose split has ratio 0 now (the user asked for no such split) goes to
train.  The card says how many kept their split, how many are new and how many moved, and why.
`--reshuffle` plans without the ledger and rewrites it from that build.

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
_HELD_OUT_FIRST = {"test": 2, "valid": 1, "train": 0}  # a tie between splits goes to the held-out one
MOVED_WHY = {"linked": "they now share text with passages of another split, which must stay together",
             "no_split": "their split has ratio 0 in this build (no such split was asked for)"}


class LeakageError(AssertionError):
    """A unit ended up in two splits: a bug, never a user's mistake (the build is not written)."""


class SplitError(UserError):
    """Split ratios that leave no room for training, or that the pool cannot honour."""


def seeded_fraction(seed: int, label: str) -> float:
    """A reproducible number in [0, 1) for `label` under `seed`."""
    digest = hashlib.sha256(f"{seed}\x1f{label}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def ledger_key(item: DatasetItem, group_by: str) -> Optional[int]:
    """What the split ledger records an item under: its passage id, or its book id by book (None: general)."""
    if not item.is_example:
        return None
    return item.book_id if group_by == "book" else item.passage_id


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
    ledger: dict[int, str] = field(default_factory=dict)  # earlier builds' splits of the pool's passages (books)

    def unit(self, item: DatasetItem) -> Optional[str]:
        if item.is_example and item.passage_id in self.unit_of_passage:
            return self.unit_of_passage[item.passage_id]
        return unit_of(item, self.group_by)

    def split_of(self, item: DatasetItem) -> str:
        unit = self.unit(item)
        if unit is None:
            return self.general[item.key]
        return self.units[unit]

    def assignments(self, items: Iterable[DatasetItem]) -> dict[int, str]:
        """Passage id (book id by book) -> split, for the book examples in `items`: what a build records."""
        out: dict[int, str] = {}
        for item in items:
            key = ledger_key(item, self.group_by)
            if key is not None:
                out[key] = self.split_of(item)
        return out

    def continuity(self, items: Iterable[DatasetItem]) -> dict[str, object]:
        """Of the passages (books) in `items`: how many kept an earlier build's split, are new, or moved, and why."""
        now = self.assignments(items)
        kept = sum(1 for key, split in now.items() if self.ledger.get(key) == split)
        moves: Counter[tuple[str, str, str]] = Counter()
        for key, split in now.items():
            before = self.ledger.get(key)
            if before is not None and before != split:
                moves[(before, split, "no_split" if self.ratios[before] <= 0 else "linked")] += 1
        return {"unit": self.group_by, "kept": kept, "new": sum(1 for key in now if key not in self.ledger),
                "moved": sum(moves.values()),
                "moves": [{"from": a, "to": b, "why": why, "count": n} for (a, b, why), n in sorted(moves.items())]}

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
                group_by: str = "passage", spans: Optional[Mapping[int, PassageSpan]] = None,
                ledger: Optional[Mapping[int, str]] = None) -> SplitPlan:
    """Assign every unit of `pool` to a split (see the module docstring).

    `spans` (the pool's passages) lets overlapping or identical passages share a unit; without it,
    each passage (or book) is its own unit.  `ledger` (passage id, or book id by book -> split) holds
    the splits earlier builds gave: units with members in it keep that split (`_held_split`).
    """
    if group_by not in GROUP_BY:
        raise SplitError(f"group_by must be passage or book, got {group_by!r}.")
    ratios = check_ratios(valid_ratio, test_ratio)
    items = list(pool)
    plan = SplitPlan(seed=seed, group_by=group_by, ratios=ratios, units={}, general={},
                     unit_of_passage=passage_units(items, group_by, spans) if spans else {})
    sizes: Counter[str] = Counter()
    votes: dict[str, Counter[str]] = {}  # unit -> examples per split its passages (books) had before
    general_keys: list[int] = []
    for item in items:
        unit = plan.unit(item)
        if unit is None:
            general_keys.append(item.key)
            continue
        sizes[unit] += 1
        key = ledger_key(item, group_by)
        if ledger and key is not None and key in ledger and ledger[key] in SPLITS:
            plan.ledger[key] = ledger[key]
            votes.setdefault(unit, Counter())[ledger[key]] += 1
    held = {unit: _held_split(counts, ratios) for unit, counts in votes.items()}
    plan.units = _assign(sizes, ratios, seed, f"{group_by}", fill=group_by == "passage", held=held)
    general = _assign(Counter({str(k): 1 for k in general_keys}), ratios, seed, "general")
    plan.general = {int(k): s for k, s in general.items()}
    return plan


def _held_split(votes: Counter[str], ratios: dict[str, float]) -> str:
    """The split a unit keeps: where most of its examples' passages were, ties to test, then valid.

    Splits with ratio 0 in this build are not candidates (the user asked for no such split); a unit
    that was only in such splits goes to train.
    """
    candidates = [split for split in votes if ratios.get(split, 0.0) > 0]
    if not candidates:
        return "train"
    return max(candidates, key=lambda split: (votes[split], _HELD_OUT_FIRST[split]))


def _assign(sizes: Counter[str], ratios: dict[str, float], seed: int, salt: str, fill: bool = False,
            held: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """Units -> splits: `held` units keep their split and fill the quotas first; the rest go by quota."""
    out: dict[str, str] = {unit: split for unit, split in (held or {}).items() if unit in sizes}
    assigned: Counter[str] = Counter()
    for unit, split in out.items():
        assigned[split] += sizes[unit]
    order = sorted((u for u in sizes if u not in out), key=lambda unit: (seeded_fraction(seed, f"{salt}:{unit}"), unit))
    total = sum(sizes.values())
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

    Only units in `rank` (new ones) move: a unit an earlier build placed keeps its split.

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
        donors = [s for s in SPLITS if len(members[s]) >= 2 and any(u in rank for u in members[s])]
        if not donors:
            return  # fewer (new) units than splits: `check_honoured` says what to change
        donor = max(donors, key=lambda s: (len(members[s]), s == "train"))
        moved = min((u for u in members[donor] if u in rank), key=lambda u: (sizes[u], -rank[u]))
        out[moved] = split


def honour_problem(counts: dict[str, int], ratios: dict[str, float], group_by: str, where: str,
                   smaller: bool = False, ledger: bool = False) -> str:
    """The sentence that stops a build whose splits cannot hold what the ratios ask ("" when they can).

    `counts` are book examples per split (general rows do not make a split usable for evaluation);
    `where` opens the sentence ("With 3 books (each kept whole), the build"); `smaller` says the
    problem comes from a size or stage smaller than the pool, so a larger one is a fix too; `ledger`
    says earlier builds' splits were kept, so splitting afresh (`--reshuffle`) is one more fix.
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
    if ledger:
        options.append("build with --reshuffle to split afresh (earlier builds' splits are then not kept)")
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
    return honour_problem(split_counts(examples, plan), plan.ratios, plan.group_by, f"{where}, the build",
                          ledger=bool(plan.ledger))


def stage_problem(counts: dict[str, int], plan: SplitPlan, size: Optional[int], staged: bool) -> str:
    """The sentence that stops a build when one stage (or the asked size) leaves a split empty ("" if none)."""
    where = f"Stage {size}" if staged else (f"A build of {size} examples" if size else "The build")
    return honour_problem(counts, plan.ratios, plan.group_by, where, smaller=size is not None,
                          ledger=bool(plan.ledger))


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


def continuity_notes(continuity: Mapping[str, object]) -> list[str]:
    """Sentences for the passages (books) that left the split an earlier build gave them (none: [])."""
    kind = "books" if continuity.get("unit") == "book" else "passages"
    moves = continuity.get("moves")
    out = []
    for move in moves if isinstance(moves, list) else []:
        count, before, after, why = move["count"], move["from"], move["to"], move["why"]
        one = kind[:-1] if count == 1 else kind
        if why == "no_split":
            out.append(f"{count} {one} that earlier builds put in {before} are in {after} now, because this build "
                       f"has no {before} split ({before} ratio 0, as asked): do not compare a model trained on this "
                       f"build with earlier builds' models on their {before} split.")
        else:
            out.append(f"{count} {one} moved from {before} to {after}, because {MOVED_WHY[why]}: "
                       + _move_consequence(before, after))
    return out


def _move_consequence(before: str, after: str) -> str:
    """What a move between splits spoils when models of two builds are compared."""
    if before == "train":
        return (f"a model trained on an earlier build has trained on them, so its score on this build's {after} "
                f"split is not clean.")
    if after == "train":
        return (f"a model trained on this build has trained on them, so do not compare it with earlier builds' "
                f"models on their {before} split.")
    return f"no model trained on them, but earlier builds held them out in {before}."


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

