"""The finder measured on the labelled set (figures printed with `pytest -s`).

Protocols in `tests.finder.measure`: leave-one-book-out over the nine fitting books (378
paragraphs), and a fresh slice of 90 other Ulysses and Alice paragraphs labelled before scoring and
never used to choose anything.  The floors are the figures measured when the weights were fitted,
less a small margin, so a change that makes the finder worse fails here.  The issue's targets (AUC
0.90 local, 0.92 with 30 verdicts) are quoted beside them and not met by these protocols: 0.883
leave-one-book-out over nine books (0.912 over the first seven), 0.818 on the fresh slice, and the
learner only matches the local scorer after 30 random verdicts.
"""

from __future__ import annotations

import pytest

from tests.finder.labelled_set import CORPUS, labelled_paragraphs

pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not present")


def test_the_labelled_set_is_what_the_brief_asks_for() -> None:
    rows = labelled_paragraphs()  # also checks every span against its hash
    fitting = [r for r in rows if r.split in ("tune", "held", "fit2")]
    fresh = [r for r in rows if r.split == "fresh"]
    assert len(fitting) >= 120 and len({r.book for r in fitting}) >= 4
    assert 0.2 <= sum(r.interior for r in rows) / len(rows) <= 0.4
    assert {r.split for r in rows} == {"tune", "held", "fit2", "fresh"}
    # the fresh slice: 80+ paragraphs the fitting set does not hold
    assert len(fresh) >= 80 and not {(r.book, r.paragraph) for r in fresh} & {(r.book, r.paragraph) for r in fitting}


def test_local_scorer_leave_one_book_out_and_on_the_fresh_slice() -> None:
    from tests.finder.measure import fresh_local, lobo_local

    lobo = lobo_local()
    fresh = fresh_local()
    print(f"\nlocal scorer, leave one book out: AUC {lobo['auc']:.3f} P@20 {lobo['precision_at_20']:.2f} "
          f"(word list {lobo['naive_auc']:.3f}); fresh slice: AUC {fresh['auc']:.3f} "
          f"P@20 {fresh['precision_at_20']:.2f} (word list {fresh['naive_auc']:.3f})")
    assert lobo["auc"] >= 0.87  # measured 0.883 (target 0.90; 0.912 over the first seven books)
    assert lobo["precision_at_20"] >= 0.85  # measured 0.90
    assert lobo["auc"] >= lobo["naive_auc"] + 0.15  # word list: 0.707
    assert fresh["auc"] >= 0.78  # measured 0.818 (target 0.90: not met on Ulysses and Alice)
    assert fresh["auc"] >= fresh["naive_auc"] + 0.2  # word list: 0.456


def test_learner_after_30_verdicts_is_no_worse_than_the_local_scorer() -> None:
    """With 30 random verdicts the learner only matches the local scorer on these labels."""
    from tests.finder.measure import learner_across_to_fresh, learner_fresh, learner_lobo

    lobo = learner_lobo()
    fresh = learner_fresh()
    across = learner_across_to_fresh()
    print(f"\nlearner after 30 verdicts (20 draws): out-of-fold AUC {lobo['learner_auc']:.3f} vs local "
          f"{lobo['local_auc_same_rows']:.3f} on the same rows; fresh slice {fresh['learner_auc']:.3f} vs "
          f"{fresh['local_auc_same_rows']:.3f}; verdicts from the fitting books, fresh AUC {across:.3f}")
    assert lobo["draws"] >= 15 and fresh["draws"] >= 15
    assert lobo["learner_auc"] >= lobo["local_auc_same_rows"] - 0.01  # measured 0.884 vs 0.884 (target 0.92)
    assert fresh["learner_auc"] >= fresh["local_auc_same_rows"] - 0.01  # measured 0.828 vs 0.815
    assert across >= 0.78  # measured 0.809
