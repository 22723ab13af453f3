"""Recall and false-positive rate of the cliche and formulaic-opening flags on a labelled set.

The set (tests/quality/data/cliche_labels.jsonl, see its README) has two halves: "tune", used while the
pattern families were written (136 texts in two rounds), and "heldout" (68), written afterwards and never
tuned on.  The held-out half
carries the claim (recall >= 0.70 at a false-positive rate <= 0.10); the tune half shows how much the
families fit the texts they were shaped on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.quality import FlagInput, QualityFlagger

DATA = Path(__file__).parent / "data" / "cliche_labels.jsonl"
CODES = ("cliche", "formulaic-opening")


def _rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def _rates(flagger: QualityFlagger, half: str) -> tuple[float, float, list[str], list[str]]:
    """(recall, false-positive rate, missed ids, falsely flagged ids) on one half."""
    rows = [row for row in _rows() if row["half"] == half]
    missed, false = [], []
    for row in rows:
        flagged = any(flag["code"] in CODES for flag in flagger.check(FlagInput(1, row["text"])))
        if row["formulaic"] and not flagged:
            missed.append(row["id"])
        if not row["formulaic"] and flagged:
            false.append(row["id"])
    positives = sum(1 for row in rows if row["formulaic"])
    negatives = len(rows) - positives
    return 1 - len(missed) / positives, len(false) / negatives, missed, false


def test_the_set_is_large_and_balanced() -> None:
    rows = _rows()
    assert len(rows) >= 120 and len({row["id"] for row in rows}) == len(rows)
    for half in ("tune", "heldout"):
        part = [row for row in rows if row["half"] == half]
        formulaic = sum(1 for row in part if row["formulaic"])
        assert len(part) >= 60 and formulaic / len(part) == 0.5


@pytest.mark.parametrize("half, min_recall, max_fpr", [("heldout", 0.70, 0.10), ("tune", 0.90, 0.05)])
def test_recall_and_false_positive_rate(seeded_flagger: QualityFlagger, half: str, min_recall: float,
                                        max_fpr: float, capsys: pytest.CaptureFixture[str]) -> None:
    recall, fpr, missed, false = _rates(seeded_flagger, half)
    with capsys.disabled():
        print(f"\n[{half}] recall {recall:.2f} false-positive rate {fpr:.2f} missed {missed} false {false}")
    assert recall >= min_recall and fpr <= max_fpr, (half, recall, fpr, missed, false)
