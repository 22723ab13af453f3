"""The stage decision: was the next stage of a staged build (200 -> 500 -> 1,000 ...) worth it?

Why one table and one sentence: the method says "add more, train, evaluate, repeat until diminishing
returns".  For each stage's run the table gathers test loss, diversity, formulaic rate, capability and the
win rate against the previous stage with its 95% interval; the sentence follows from the interval alone:
above 50% "gains continue", below "regression", containing 50% "plateau".
"""

from __future__ import annotations

import re
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Optional

from core.evaluation.answers import Decoding, answer_key
from core.evaluation.compare import capability_of, comparison_outcomes
from core.evaluation.models import ModelSpec
from core.evaluation.probes import ProbeFileError, load_probe_set
from core.evaluation.stats import WinRate, win_rate
from core.project import Project
from store.comparisons import Comparison
from store.database import Database
from store.records import Run

_STAGE = re.compile(r"/stage-(\d+)$")


@dataclass
class StageRow:
    run: str
    stage: int
    test_loss: Optional[float]
    diversity: Optional[float]  # distinct-2 of the run's evaluation samples
    formulaic: Optional[float]  # share of samples opening the same way
    capability: Optional[float]
    versus_previous: Optional[WinRate]
    judge: str
    decision: str

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run, "stage": self.stage, "test_loss": self.test_loss, "diversity": self.diversity,
                "formulaic": self.formulaic, "capability": self.capability,
                "win_rate_vs_previous": self.versus_previous.to_dict() if self.versus_previous else None,
                "judge": self.judge, "decision": self.decision}


def decision(rate: Optional[WinRate]) -> str:
    if rate is None or rate.n == 0:
        return "not compared yet"
    if rate.low > 0.5:
        return "gains continue"
    if rate.high < 0.5:
        return "regression"
    return "plateau (the interval includes 50%)"


def stage_runs(db: Database, build: str) -> list[tuple[int, Run]]:
    """The finished runs of `build`'s stages, smallest stage first (the latest run of each stage)."""
    by_stage: dict[int, Run] = {}
    for run in db.runs.all():
        match = _STAGE.search(run.build)
        if match and run.build.split("/")[0] == build and run.status == "done":
            stage = int(match.group(1))
            if stage not in by_stage or run.id > by_stage[stage].id:
                by_stage[stage] = run
    return sorted(by_stage.items())


def _between(db: Database, older: str, newer: str) -> tuple[Optional[Comparison], bool]:
    """The newest comparison of the two runs, and whether the newer run is its model A."""
    found = [c for c in db.comparisons.all()
             if {c.model_a.get("label"), c.model_b.get("label")} == {older, newer}]
    if not found:
        return None, True
    latest = max(found, key=lambda c: c.id)
    return latest, latest.model_a.get("label") == newer


def _capability(project: Project, db: Database, run: Run) -> Optional[float]:
    """The run's capability score from its cached answers to the capability probes (any comparison's settings)."""
    try:
        probes = load_probe_set(project, "capability")
    except ProbeFileError:
        return None
    comparison = db.comparisons.latest_for(run.name)
    if comparison is None:
        return None
    side = comparison.model_a if comparison.model_a.get("label") == run.name else comparison.model_b
    spec = ModelSpec(run.name, "run", str(side.get("model_path", "")), str(side.get("adapter_path", "")),
                     str(side.get("fingerprint", "")))
    settings = comparison.settings
    decoding = Decoding(int(settings.get("max_tokens", 200)), float(settings.get("temperature", 0.7)),
                        float(settings.get("top_p", 0.95)))
    from core.evaluation.answers import AnswerReport, ProbeRef

    refs = [ProbeRef(probes.name, p) for p in probes.probes]
    keys = {ref.ref: answer_key(spec, ref.probe.turns, decoding, comparison.seed) for ref in refs}
    stored = db.comparisons.answers.by_keys(keys.values())
    report = AnswerReport({ref: stored[key] for ref, key in keys.items() if key in stored})
    cap = capability_of(report, [r for r in refs if r.ref in report.answers])
    return round(cap.score, 4) if cap and cap.total else None


def stage_table(project: Project, db: Database, build: str) -> list[StageRow]:
    rows: list[StageRow] = []
    previous: Optional[Run] = None
    for stage, run in stage_runs(db, build):
        evaluation = run.evaluation or {}
        signs = evaluation.get("warning_signs", {})
        loss = evaluation.get("tuned", {}).get("loss", run.last_val_loss)
        rate: Optional[WinRate] = None
        judge = ""
        if previous is not None:
            comparison, newer_is_a = _between(db, previous.name, run.name)
            if comparison is not None:
                for judge in ("human", "teacher"):
                    outcomes = comparison_outcomes(db, comparison, judge)
                    if outcomes:
                        flipped = outcomes if newer_is_a else [{"a": "b", "b": "a"}.get(o, o) for o in outcomes]
                        rate = win_rate(flipped)
                        break
                else:
                    judge = ""
        rows.append(StageRow(run.name, stage, loss, signs.get("distinct_2"), signs.get("top_opening_share"),
                             _capability(project, db, run), rate, judge,
                             "first stage" if previous is None else decision(rate)))
        previous = run
    return rows


def next_step_cost(project: Project, db: Database, build: str) -> str:
    """The planner's sentence for training the build's largest stage on this machine (the next step up).

    Why the largest stage: the build's card says which stages exist; when the last trained stage is not
    the largest, training the largest is the next step the decision is about.
    """
    from core.errors import UserError
    from core.paths import inside, safe_name
    from core.planner import PlannerError, build_tokens, make_plan, make_request, shape_from_folder, this_machine

    runs = stage_runs(db, build)
    if not runs:
        return ""
    try:
        tokens, counted = build_tokens(inside(project.exports, safe_name(build, "build name")))
        shape = shape_from_folder(Path(runs[-1][1].base_model))
        plan = make_plan(make_request(shape, this_machine(), method="lora", tokens=tokens))
    except (PlannerError, UserError, OSError, ValueError) as exc:
        return f"The planner cannot price the next step: {exc}"
    if plan.hours is None or not plan.feasible:
        return f"The planner finds the largest stage infeasible here: {'; '.join(plan.reasons[:2])}"
    cost = f", about ${plan.cost_usd:,.2f}" if plan.cost_usd else ""
    return (f"Training the largest stage ({tokens:,} tokens, {counted}) on {plan.request.device.name}: "
            f"{_duration(plan.hours)}{cost} ({plan.calibration_note or 'planner estimate'}).")


def _duration(hours: float) -> str:
    """A planner time a person reads at a glance: minutes under an hour and a half, hours above."""
    if hours * 60 < 1:
        return "under a minute"
    if hours < 1.5:
        return f"about {hours * 60:.0f} min"
    return f"about {hours:.1f} h"
