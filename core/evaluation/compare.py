"""`compare A B`: answer the probes with both models, pair the answers blind, score capability.

One use case for the command line and the studio: it resolves the models, loads the probe sets, gets the
answers (cached: a repeated comparison makes no model calls), and finds or creates the comparison, so a
person's verdicts (the Arena screen) and the teacher's (`judge`) land on the same pairs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from core.evaluation.answers import AnswerReport, Decoding, ProbeRef, ensure_answers
from core.evaluation.arena import create_comparison, outcome_of
from core.evaluation.models import ModelSpec, resolve_model
from core.evaluation.probes import DEFAULT_SETS, ProbeSet, load_probe_set
from core.evaluation.stats import Capability, Outcome, capability, win_rate
from core.project import Project
from store.comparisons import Comparison
from store.database import Database

Progress = Callable[[str], None]


@dataclass
class CompareResult:
    """Everything `compare` found: the models, the comparison, answer counts and capability scores."""

    model_a: ModelSpec
    model_b: ModelSpec
    comparison: Comparison
    generated: int  # model calls made now (0 for a repeated comparison)
    cached: int
    capability_a: Optional[Capability] = None
    capability_b: Optional[Capability] = None
    judged: dict[str, Any] = field(default_factory=dict)  # filled by the judge when asked

    def to_dict(self, db: Database) -> dict[str, Any]:
        human = comparison_outcomes(db, self.comparison, "human")
        return {
            "comparison": self.comparison.id, "name": self.comparison.name,
            "model_a": self.model_a.to_dict(), "model_b": self.model_b.to_dict(),
            "pairs": len(self.comparison.pairs), "seed": self.comparison.seed,
            "settings": self.comparison.settings, "model_calls": self.generated, "cached_answers": self.cached,
            "human": win_rate(human).to_dict() if human else None,
            "capability_a": self.capability_a.to_dict() if self.capability_a else None,
            "capability_b": self.capability_b.to_dict() if self.capability_b else None,
            "judge": self.judged or None,
        }


def comparison_outcomes(db: Database, comparison: Comparison, judge: str = "human") -> list[Outcome]:
    """Model A's outcome on each pair a judge decided (the fold of its events, undo applied).

    The teacher judges each pair in both orders; its outcome per pair combines the two (a split is a tie).
    """
    if judge == "teacher":
        from core.evaluation.judge import combine_orders

        return combine_orders(db, comparison)
    stack: list[tuple[int, str, bool]] = []
    for event in db.comparisons.verdicts.for_comparison(comparison.id, judge):
        if event.verdict == "undo":
            if stack:
                stack.pop()
        else:
            stack.append((event.pair, event.verdict, event.a_left))
    standing: dict[int, tuple[str, bool]] = {pair: (verdict, a_left) for pair, verdict, a_left in stack}
    return [outcome_of(verdict, a_left) for verdict, a_left in standing.values()]


def select_probes(project: Project, names: Optional[list[str]], n: Optional[int], seed: int
                  ) -> tuple[list[ProbeRef], list[ProbeRef], list[str]]:
    """(paired probes, capability probes, set names): all of each set, or a seeded sample of `n` paired ones."""
    sets: list[ProbeSet] = [load_probe_set(project, name) for name in (names or list(DEFAULT_SETS))]
    paired = [ProbeRef(s.name, p) for s in sets if s.kind != "capability" for p in s.probes]
    checked = [ProbeRef(s.name, p) for s in sets if s.kind == "capability" for p in s.probes]
    if n is not None and 0 < n < len(paired):
        paired = random.Random(seed).sample(paired, n)
    return paired, checked, [s.name for s in sets]


def capability_of(report: AnswerReport, probes: list[ProbeRef],
                  base: Optional[AnswerReport] = None) -> Optional[Capability]:
    """The share of capability probes whose final reply passes its check (and the change against base)."""
    if not probes:
        return None
    passes = [bool(ref.probe.check and ref.probe.check.passes(report.answers[ref.ref].final)) for ref in probes
              if ref.ref in report.answers]
    if base is None:
        return capability(passes)
    base_passes = [bool(ref.probe.check and ref.probe.check.passes(base.answers[ref.ref].final)) for ref in probes
                   if ref.ref in base.answers]
    return capability(passes, base_passes)


def compare(project: Project, db: Database, model_a: str, model_b: str, probe_sets: Optional[list[str]] = None,
            n: Optional[int] = None, seed: int = 0, decoding: Decoding = Decoding(),
            env: Optional[dict[str, str]] = None, progress: Optional[Progress] = None) -> CompareResult:
    """Answer (or find cached answers for) both models and find or create their blind comparison."""
    spec_a = resolve_model(project, db, model_a, other=model_b)
    spec_b = resolve_model(project, db, model_b, other=model_a)
    paired, checked, names = select_probes(project, probe_sets, n, seed)
    asked = paired + checked

    def answer(spec: ModelSpec) -> AnswerReport:
        def said(done: int, total: int) -> None:
            if progress is not None:
                progress(f"{spec.label}: {done}/{total} answered")

        return ensure_answers(db, spec, asked, decoding, seed, progress=said, env=env)

    report_a = answer(spec_a)
    report_b = answer(spec_b)
    wanted = {(ref.probe_set, ref.probe.id) for ref in paired}
    comparison = db.comparisons.matching(spec_a.fingerprint, spec_b.fingerprint, seed, decoding.to_dict(),
                                         sorted({ref.probe_set for ref in paired}))
    if comparison is None or {(p["probe_set"], p["probe_id"]) for p in comparison.pairs} != wanted:
        comparison = create_comparison(db, spec_a, spec_b, paired, report_a, report_b, decoding, seed)
    base_report: Optional[AnswerReport] = None
    if checked and "base" not in (model_a, model_b) and spec_a.kind == "run":
        base_report = ensure_answers(db, resolve_model(project, db, "base", other=model_a), checked, decoding,
                                     seed, env=env)
    result = CompareResult(spec_a, spec_b, comparison, report_a.generated + report_b.generated,
                           report_a.cached + report_b.cached)
    if checked:
        base_a = report_b if spec_b.kind == "base" else base_report
        result.capability_a = capability_of(report_a, checked, base_a)
        result.capability_b = capability_of(report_b, checked, report_a if spec_a.kind == "base" else base_report)
    return result
