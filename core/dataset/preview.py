"""What a mix will give before anything is built: counts per source against targets, and shortfalls.

The preview removes exact duplicates (cheap) but not near-duplicates (seconds at
10,000 examples), so a build can come out a little smaller than its preview says.
It also plans the splits as the build will, so the rows per split, and the sentence
that would stop the build (a split asked for left empty), show before building.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from core.dataset.collect import collect_accepted
from core.dataset.dedup import deduplicate
from core.dataset.general import load_general
from core.dataset.items import DatasetItem
from core.dataset.leakage import passage_spans
from core.dataset.select import Selector, Shortfall
from core.dataset.spec import BuildSpec
from core.dataset.split import missing_split_warnings, plan_splits, pool_problem, split_counts, stage_problem
from core.project import Project
from store.database import Database


@dataclass
class SourceRow:
    group: str
    share: float  # of the mix
    available: int  # accepted, after exact dedup
    targets: dict[str, int]  # stage label -> target
    taken: dict[str, int]


@dataclass
class MixPreview:
    mix: str
    stages: list[Optional[int]]
    rows: list[SourceRow]
    shortfalls: dict[str, list[Shortfall]]  # stage label -> shortfalls
    unassigned: dict[str, int] = field(default_factory=dict)
    general_rows: int = 0
    general_taken: dict[str, int] = field(default_factory=dict)
    exact_duplicates: int = 0
    totals: dict[str, int] = field(default_factory=dict)  # stage label -> examples (with general)
    without_student: int = 0  # accepted examples left out until a backfill gives them a student conversation
    without_student_sentence: str = ""
    splits: dict[str, dict[str, int]] = field(default_factory=dict)  # stage label -> book examples per split
    group_by: str = "passage"
    split_problem: str = ""  # the sentence that would stop the build ("" when the splits can be filled)
    split_notes: list[str] = field(default_factory=list)  # e.g. no test split asked for

    def to_dict(self) -> dict[str, Any]:
        return {
            "mix": self.mix, "stages": self.stages,
            "sources": [{"group": r.group, "share": round(r.share, 4), "available": r.available,
                         "targets": r.targets, "taken": r.taken} for r in self.rows],
            "shortfalls": {k: [s.to_dict() for s in v] for k, v in self.shortfalls.items()},
            "unassigned": self.unassigned, "general_rows": self.general_rows, "general_taken": self.general_taken,
            "exact_duplicates_removed": self.exact_duplicates, "totals": self.totals,
            "without_student": self.without_student, "splits": self.splits, "group_by": self.group_by,
            "split_problem": self.split_problem, "split_notes": self.split_notes,
            "note": "near-duplicates are removed only when building, so a build can be a little smaller",
        }


def stage_label(size: Optional[int]) -> str:
    return "all" if size is None else str(size)


def preview_mix(project: Project, db: Database, spec: BuildSpec) -> MixPreview:
    """Counts per source group against each stage's targets, without writing anything."""
    resolved = spec.resolve(project.settings)
    collected = collect_accepted(db, resolved.mix, resolved.persona)
    general_items: list[DatasetItem] = []
    if resolved.general_path is not None and resolved.general_ratio > 0:
        _, general_items = load_general(resolved.general_path)
    dedup = deduplicate(collected.items + general_items, near=False)
    pool = [i for i in dedup.kept if i.is_example]
    general = [i for i in dedup.kept if not i.is_example]
    spans = passage_spans({p: db.passages.view(p) for p in sorted({i.passage_id for i in pool if i.passage_id})})
    # The splits earlier builds gave are read, never written: only a written build records its splits.
    ledger = {} if resolved.reshuffle else db.split_ledger.splits(resolved.group_by)
    plan = plan_splits(dedup.kept, resolved.valid_ratio, resolved.test_ratio, resolved.seed, resolved.group_by,
                       spans=spans, ledger=ledger)
    problem = pool_problem(pool, plan) if pool else ""
    selector = Selector(pool, general, collected.mix, resolved.seed, resolved.general_ratio if general_items else 0.0,
                        split_of=plan.split_of)
    available = selector.available()
    shares = collected.mix.shares()
    rows = {g: SourceRow(group=g, share=shares.get(g, 0.0), available=available.get(g, 0), targets={}, taken={})
            for g in collected.mix.weights}
    shortfalls: dict[str, list[Shortfall]] = {}
    general_taken: dict[str, int] = {}
    totals: dict[str, int] = {}
    splits: dict[str, dict[str, int]] = {}
    for size in resolved.stage_sizes:
        label = stage_label(size)
        choice = selector.choose(size)
        splits[label] = split_counts(choice.items, plan)
        if pool and not problem:
            problem = stage_problem(splits[label], plan, size, resolved.staged)
        for group, row in rows.items():
            row.targets[label] = choice.targets.get(group, 0)
            row.taken[label] = choice.taken.get(group, 0)
        shortfalls[label] = choice.shortfalls
        general_taken[label] = choice.general_taken
        totals[label] = len(choice.items)
    return MixPreview(mix=collected.mix.name, stages=list(resolved.stage_sizes), rows=list(rows.values()),
                      shortfalls=shortfalls, unassigned=collected.unassigned, general_rows=len(general_items),
                      general_taken=general_taken, exact_duplicates=len(dedup.exact_removed), totals=totals,
                      without_student=len(collected.without_student),
                      without_student_sentence=collected.without_student_sentence(), splits=splits,
                      group_by=resolved.group_by, split_problem=problem,
                      split_notes=missing_split_warnings(plan.ratios))
