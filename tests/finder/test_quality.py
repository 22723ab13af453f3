"""The finder measured on the labelled set (figures printed with `pytest -s`).

The floors are the figures measured when the weights were fitted, less a small margin, so a
change that makes the finder worse fails here; the issue's targets (AUC 0.90 local, 0.92 with 30
verdicts) are quoted beside them and not yet met on the held-out half.
"""

from __future__ import annotations

import pytest

from tests.finder.labelled_set import CORPUS, labelled_paragraphs

pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not present")


def test_the_labelled_set_is_what_the_brief_asks_for() -> None:
    rows = labelled_paragraphs()  # also checks every span against its hash
    assert len(rows) >= 120
    assert len({r.book for r in rows}) >= 4
    interior = sum(r.interior for r in rows) / len(rows)
    assert 0.2 <= interior <= 0.4
    assert {r.split for r in rows} == {"tune", "held"}
    held = [r for r in rows if r.split == "held"]
    assert len(held) >= 96 and len({r.book for r in held}) >= 4


def test_local_scorer_on_the_held_out_half_beats_the_word_list() -> None:
    from tests.finder.measure import local_figures

    held = local_figures("held")
    tune = local_figures("tune")
    print(f"\nlocal scorer: held AUC {held['auc']:.3f} P@20 {held['precision_at_20']:.2f}; "
          f"tune AUC {tune['auc']:.3f} P@20 {tune['precision_at_20']:.2f}; "
          f"word-list baseline held AUC {held['naive_auc']:.3f} P@20 {held['naive_precision_at_20']:.2f}")
    assert held["auc"] >= 0.85  # measured 0.871 (target 0.90)
    assert held["precision_at_20"] >= 0.6  # measured 0.65
    assert held["auc"] >= held["naive_auc"] + 0.1  # word list: 0.683
    assert tune["auc"] >= 0.91  # measured 0.933 (fitted on it)


def test_learner_after_30_verdicts_is_no_worse_than_the_local_scorer() -> None:
    """With 30 verdicts the learner only matches the local scorer (it gains ~0.01 with 60+)."""
    from tests.finder.measure import learner_across, learner_within

    within = learner_within("held")
    across = learner_across("tune", "held")
    print(f"\nlearner after 30 verdicts (20 random draws): held AUC {within['learner_auc']:.3f} "
          f"vs local {within['local_auc_same_rows']:.3f} on the same rows; verdicts from the tune half, "
          f"AUC on the held half {across:.3f}")
    assert within["draws"] >= 15
    assert within["learner_auc"] >= within["local_auc_same_rows"] - 0.01  # measured 0.879 vs 0.878 (target 0.92)
    assert across >= 0.85  # measured 0.866
