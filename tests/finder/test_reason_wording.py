"""A reason reads the way it counts: no mark of inner life is given as a reason *against* it (and no mark of
plain narration as a reason for it), even where a fitted weight came out negative (reported on Karamazov: "the
inner voice exclaiming (oh, O, alas)" shown for a low-scoring paragraph)."""

from __future__ import annotations

from pathlib import Path

from core.finder.scorer import explain

INTERIOR_WHEN_HIGH = ("the inner voice exclaiming", "inner verbs and hedges", "first-person narration",
                      "he/she narration", "interrupted syntax", "feeling:", "negations and denials")
PLAIN_WHEN_HIGH = ("mostly quoted speech", "the outside world")


def test_reasons_agree_with_the_direction_of_the_score(corpus: Path) -> None:
    text = (corpus / "brothers_karamazov_28054.txt").read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in text.split("\n\n") if len(p.strip()) > 80][200:1400]
    low = high = 0
    for paragraph in paragraphs:
        score, reasons = explain(paragraph)
        if score < 0.5:
            low += 1
            assert not any(r.startswith(INTERIOR_WHEN_HIGH) for r in reasons), (reasons, paragraph[:80])
        else:
            high += 1
            assert not any(r.startswith(PLAIN_WHEN_HIGH) for r in reasons), (reasons, paragraph[:80])
        assert reasons
    assert low > 100 and high > 20
