"""The stage decision from stored runs and verdicts (no model needed): the sentence follows the interval."""

from __future__ import annotations

import io
import json

import pytest

from core.evaluation.stages import decision, stage_table
from core.evaluation.stats import win_rate
from store.comparisons import Answer, Comparison, PairVerdict
from store.records import Run


def test_decision_sentences() -> None:
    assert decision(win_rate(["a"] * 18 + ["b"] * 2)) == "gains continue"  # Wilson low 0.70 > 0.5
    assert decision(win_rate(["b"] * 18 + ["a"] * 2)) == "regression"
    assert decision(win_rate(["a"] * 6 + ["b"] * 4)) == "plateau (the interval includes 50%)"
    assert decision(None) == "not compared yet"


def test_stage_table_and_command(project, db, monkeypatch) -> None:
    for stage, loss in ((200, 2.1), (500, 1.8)):
        db.runs.add(Run(name=f"s{stage}", build=f"staged/stage-{stage}", status="done",
                        evaluation={"tuned": {"loss": loss}, "warning_signs": {"distinct_2": 0.7,
                                                                               "top_opening_share": 0.2}}))
    pairs = []
    for index in range(20):
        for side in ("a", "b"):
            db.comparisons.answers.add(Answer(key=f"{side}{index}", turns=["hi"], replies=[side]))
        pairs.append({"probe_set": "inner-life", "probe_id": f"p{index}", "a": f"a{index}", "b": f"b{index}",
                      "a_left": True})
    # model A is the older stage here: the table must turn the outcomes round
    comparison = db.comparisons.add(Comparison(name="x", model_a={"label": "s200"}, model_b={"label": "s500"},
                                               pairs=pairs))
    for index in range(20):
        db.comparisons.verdicts.add(PairVerdict(comparison_id=comparison.id, pair=index, judge="human",
                                                verdict="right" if index < 18 else "left", a_left=True))
    rows = stage_table(project, db, "staged")
    assert [(r.stage, r.decision) for r in rows] == [(200, "first stage"), (500, "gains continue")]
    assert rows[1].versus_previous is not None and rows[1].versus_previous.rate == pytest.approx(0.9)
    assert rows[1].test_loss == 1.8 and rows[1].judge == "human"

    from core.cli import CommandContext
    from core.commands.evaluation import cmd_stages

    out = io.StringIO()
    ctx = CommandContext(project_arg=str(project.root), out=out, _project=project, _db=db)

    class Args:
        build = "staged"
        json = True

    assert cmd_stages(Args(), ctx) == 0  # type: ignore[arg-type]
    report = json.loads(out.getvalue())
    assert report["stages"][1]["decision"] == "gains continue"
    assert report["next_step"].startswith("The planner cannot price")  # no base model folder in this test
    Args.json = False
    out.seek(0), out.truncate()
    cmd_stages(Args(), ctx)  # type: ignore[arg-type]
    assert "90% (" in out.getvalue() and "gains continue" in out.getvalue()


def test_the_planner_time_reads_at_a_glance() -> None:
    from core.evaluation.stages import _duration

    assert _duration(0.001) == "under a minute"
    assert _duration(0.25) == "about 15 min"
    assert _duration(1.49) == "about 89 min"
    assert _duration(12.34) == "about 12.3 h"
