"""Choosing which examples a build (or each stage of a staged build) holds.

Each source group's examples are put in one priority order, round-robin across
templates (each template's examples in a seeded shuffle), so any prefix of the order
is balanced across templates.  A stage of size S takes, for each group, the first
`apportion(weights, S)[group]` examples of that order; because the order is fixed and
the apportionment is house-monotone, every stage is a subset of the next.  General
rows are likewise a prefix of one seeded shuffle.

Given the split plan, each group's order is also interleaved across splits
(`interleave_splits`), so every prefix holds the splits in the group's own shares:
a 30-example stage of a 3,000-example pool has its tenth of test rows, where a plain
prefix could hold none and leave the stage without a test split.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Optional

from core.dataset.items import DatasetItem
from core.dataset.mix import Mix, apportion, general_count


def priority_order(items: list[DatasetItem], seed: int, group: str) -> list[DatasetItem]:
    """Round-robin over templates (in a seeded order), each template's items seeded-shuffled."""
    by_template: dict[str, list[DatasetItem]] = defaultdict(list)
    for item in items:
        by_template[item.template_id].append(item)
    templates = sorted(by_template)
    random.Random(f"{seed}|templates|{group}").shuffle(templates)
    queues = []
    for template in templates:
        bucket = sorted(by_template[template], key=lambda i: i.key)
        random.Random(f"{seed}|{group}|{template}").shuffle(bucket)
        queues.append(bucket)
    ordered: list[DatasetItem] = []
    depth = 0
    while len(ordered) < len(items):
        for queue in queues:
            if depth < len(queue):
                ordered.append(queue[depth])
        depth += 1
    return ordered


def interleave_splits(order: list[DatasetItem], split_of: Callable[[DatasetItem], str]) -> list[DatasetItem]:
    """`order` merged across splits so that every prefix holds each split in its share of the whole.

    Each split's items keep their order (so template balance holds within each); at each position the
    split furthest below its share so far comes next, ties going to train, then the split names.
    """
    queues: dict[str, list[DatasetItem]] = defaultdict(list)
    for item in order:
        queues[split_of(item)].append(item)
    if len(queues) < 2:
        return list(order)
    total = len(order)
    shares = {split: len(items) / total for split, items in queues.items()}
    used = {split: 0 for split in queues}
    out: list[DatasetItem] = []
    while len(out) < total:
        position = len(out) + 1
        split = max((s for s in queues if used[s] < len(queues[s])),
                    key=lambda s: (shares[s] * position - used[s], s == "train", s))
        out.append(queues[split][used[split]])
        used[split] += 1
    return out


@dataclass
class Shortfall:
    """A source that had fewer examples than its target; the build is smaller, never padded."""

    group: str
    target: int
    available: int

    @property
    def missing(self) -> int:
        return self.target - self.available

    def sentence(self) -> str:
        return (f"{self.group}: {self.available} of {self.target} wanted "
                f"({self.missing} short; accept more examples from it or lower its weight)")

    def to_dict(self) -> dict[str, object]:
        return {"group": self.group, "target": self.target, "available": self.available, "missing": self.missing}


@dataclass
class StageChoice:
    """What one stage holds, before splitting."""

    size: Optional[int]  # as asked (None: all)
    items: list[DatasetItem]
    targets: dict[str, int]
    taken: dict[str, int]
    shortfalls: list[Shortfall] = field(default_factory=list)
    general_target: int = 0
    general_taken: int = 0


class Selector:
    """Priority orders of a deduplicated pool, from which stages are cut."""

    def __init__(self, pool: list[DatasetItem], general: list[DatasetItem], mix: Mix, seed: int,
                 general_ratio: float, split_of: Optional[Callable[[DatasetItem], str]] = None) -> None:
        self.mix = mix
        self.general_ratio = general_ratio
        by_group: dict[str, list[DatasetItem]] = defaultdict(list)
        for item in pool:
            by_group[item.group].append(item)
        self.orders = {group: priority_order(items, seed, group) for group, items in sorted(by_group.items())}
        self.general = sorted(general, key=lambda i: i.key, reverse=True)  # file order
        random.Random(f"{seed}|general").shuffle(self.general)
        if split_of is not None:
            self.orders = {group: interleave_splits(order, split_of) for group, order in self.orders.items()}
            self.general = interleave_splits(self.general, split_of)

    def available(self) -> dict[str, int]:
        return {group: len(self.orders.get(group, [])) for group in self.mix.weights}

    def targets(self, size: Optional[int]) -> dict[str, int]:
        if size is None:
            return {group: len(self.orders.get(group, [])) for group, w in self.mix.weights.items() if w > 0}
        return {g: n for g, n in apportion(self.mix.weights, size).items() if self.mix.weights[g] > 0}

    def choose(self, size: Optional[int]) -> StageChoice:
        targets = self.targets(size)
        items: list[DatasetItem] = []
        taken: dict[str, int] = {}
        shortfalls = []
        for group, target in targets.items():
            order = self.orders.get(group, [])
            chosen = order[:target]
            taken[group] = len(chosen)
            items.extend(chosen)
            if len(order) < target:
                shortfalls.append(Shortfall(group=group, target=target, available=len(order)))
        general_target = general_count(len(items), self.general_ratio) if self.general else 0
        general = self.general[:general_target]
        if self.general and len(general) < general_target:
            shortfalls.append(Shortfall(group="general data", target=general_target, available=len(general)))
        return StageChoice(size=size, items=items + general, targets=targets, taken=taken, shortfalls=shortfalls,
                           general_target=general_target, general_taken=len(general))
