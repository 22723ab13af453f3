"""The blind arena session: seeded hidden order, verdict events, exact undo, reveal; `compare` end to end."""

from __future__ import annotations

import pytest

from core.evaluation.answers import Decoding
from core.evaluation.arena import ArenaError, ArenaSession, outcome_of
from core.evaluation.compare import compare, comparison_outcomes
from tests.evaluation.conftest import WORKER_ENV

DECODING = Decoding(max_tokens=3, temperature=0.0, top_p=0.0)


@pytest.fixture(scope="module")
def compared(eval_project):
    project, db = eval_project
    return compare(project, db, "stage-200", "stage-500", ["inner-life", "continuity", "capability"], n=6,
                   seed=11, decoding=DECODING, env=WORKER_ENV)


def test_compare_pairs_and_capability(eval_project, compared) -> None:
    project, db = eval_project
    comparison = compared.comparison
    assert len(comparison.pairs) == 6 and comparison.seed == 11
    assert {p["probe_set"] for p in comparison.pairs} <= {"inner-life", "continuity"}
    assert compared.capability_a is not None and compared.capability_a.total == 22
    assert compared.capability_a.change is not None  # against the base model's answers
    sides = [p["a_left"] for p in comparison.pairs]
    assert sides == [p["a_left"] for p in comparison.pairs] and set(sides) <= {True, False}
    # the same comparison again: no model call, the same comparison (its verdicts stand)
    again = compare(project, db, "stage-200", "stage-500", ["inner-life", "continuity", "capability"], n=6,
                    seed=11, decoding=DECODING, env=WORKER_ENV)
    assert again.generated == 0 and again.comparison.id == comparison.id
    assert again.to_dict(db)["model_calls"] == 0


def test_outcome_of_maps_sides_to_models() -> None:
    assert outcome_of("left", True) == "a" and outcome_of("left", False) == "b"
    assert outcome_of("right", True) == "b" and outcome_of("right", False) == "a"
    assert outcome_of("both-bad", True) == "tie" and outcome_of("tie", False) == "tie"


def test_session_decides_undoes_exactly_and_reveals(eval_project, compared) -> None:
    project, db = eval_project
    session = ArenaSession(db, db.comparisons.get(compared.comparison.id), session="t1")
    assert session.position == 0 and session.side_labels() == ("?", "?")
    first = session.pair()
    assert first.left.key != first.right.key and first.verdict == ""
    session.decide("left", "formulaic")
    session.decide("tie")
    assert session.decided == 2 and session.position == 2
    assert session.undo() == 1 and session.position == 1 and session.decided == 1
    with pytest.raises(ArenaError, match="undecided"):
        session.reveal()
    for choice in ("right", "both-bad", "left", "left", "right"):
        session.decide(choice)
    assert session.finished
    # a new session (another process) folds the same events to the same standing verdicts
    reopened = ArenaSession(db, db.comparisons.get(compared.comparison.id))
    assert {i: v.verdict for i, v in reopened.standing().items()} == \
        {i: v.verdict for i, v in session.standing().items()}
    assert sorted(reopened.outcomes()) == sorted(comparison_outcomes(db, reopened.comparison))
    result = session.result()
    assert result.n == 6 and result.ties == 1
    names = session.reveal()
    assert names == {"a": "stage-200", "b": "stage-500"}
    assert db.comparisons.get(compared.comparison.id).revealed
    with pytest.raises(ArenaError, match="not 'maybe'"):
        session.decide("maybe")
    with pytest.raises(ArenaError, match="Unknown reason"):
        session.decide("left", "boring")


def test_undo_with_nothing_to_undo(eval_project, compared) -> None:
    project, db = eval_project
    from core.evaluation.arena import create_comparison
    from core.evaluation.answers import AnswerReport

    empty = AnswerReport()
    with pytest.raises(ArenaError, match="nothing to compare"):
        create_comparison(db, compared.model_a, compared.model_b, [], empty, empty, DECODING, 0)
