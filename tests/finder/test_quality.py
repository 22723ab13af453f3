"""The finder measured on the labelled set (figures printed with `pytest -s`).

Protocols in `tests.finder.measure`: leave-one-book-out over the nine fitting books (722
paragraphs), and a fresh slice of 90 other Ulysses and Alice paragraphs labelled before scoring and
never used to choose anything.  The floors are the figures measured when the weights were fitted,
less a small margin, so a change that makes the finder worse fails here.  The issue's targets (AUC
0.90 local, 0.92 with 30 verdicts) are quoted beside them: the local one is met leave-one-book-out
(0.907; 0.883 on the fresh slice); the learner's is met when the 30 verdicts are in the book being
read (0.921, its own correction over the library-wide one) and not when they are scattered at random
over nine books (0.908, the local scorer's figure) or are the top suggestions and the uncertain ones
(a little below the local scorer).
"""

from __future__ import annotations

import pytest

from tests.finder.labelled_set import CORPUS, labelled_paragraphs

pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not present")


def test_the_labelled_set_is_what_the_brief_asks_for() -> None:
    rows = labelled_paragraphs()  # also checks every span against its hash
    fitting = [r for r in rows if r.split in ("tune", "held", "fit2", "fit3")]
    fresh = [r for r in rows if r.split == "fresh"]
    assert len(fitting) >= 120 and len({r.book for r in fitting}) >= 4
    assert 0.2 <= sum(r.interior for r in rows) / len(rows) <= 0.4
    assert {r.split for r in rows} == {"tune", "held", "fit2", "fit3", "fresh"}
    assert len(fitting) >= 700 and len({r.book for r in fitting}) == 9
    # the fresh slice: 80+ paragraphs the fitting set does not hold
    assert len(fresh) >= 80 and not {(r.book, r.paragraph) for r in fresh} & {(r.book, r.paragraph) for r in fitting}


def test_local_scorer_leave_one_book_out_and_on_the_fresh_slice() -> None:
    from tests.finder.measure import fresh_local, lobo_local

    lobo = lobo_local()
    fresh = fresh_local()
    print(f"\nlocal scorer, leave one book out: AUC {lobo['auc']:.3f} P@20 {lobo['precision_at_20']:.2f} "
          f"(word list {lobo['naive_auc']:.3f}); fresh slice: AUC {fresh['auc']:.3f} "
          f"P@20 {fresh['precision_at_20']:.2f} (word list {fresh['naive_auc']:.3f})")
    assert lobo["auc"] >= 0.90  # measured 0.907 (target 0.90; 0.901 without the neighbours' term)
    assert lobo["precision_at_20"] >= 0.7  # measured 0.75 (15 of the top 20 of 722, 174 interior)
    assert lobo["auc"] >= lobo["naive_auc"] + 0.15  # word list: 0.730
    assert fresh["auc"] >= 0.86  # measured 0.883 (target 0.90: not met on Ulysses and Alice)
    assert fresh["auc"] >= fresh["naive_auc"] + 0.3  # word list: 0.456


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
    assert lobo["learner_auc"] >= lobo["local_auc_same_rows"] - 0.01  # measured 0.908 vs 0.908 (target 0.92)
    assert lobo["learner_auc"] >= 0.90
    assert fresh["learner_auc"] >= fresh["local_auc_same_rows"] - 0.01  # measured 0.890 vs 0.877
    assert across >= 0.86  # measured 0.885


def test_learner_after_30_verdicts_in_the_book_being_read() -> None:
    """A reader judging one book: the book's own correction is what makes its suggestions better."""
    from tests.finder.measure import learner_in_one_book

    one = learner_in_one_book()
    print(f"\nlearner after 30 verdicts in one book (mean over the nine books, 20 draws each): AUC "
          f"{one['learner_auc']:.3f} vs local {one['local_auc_same_rows']:.3f} on the same rows")
    assert one["books"] == 9
    assert one["learner_auc"] >= 0.915  # measured 0.921 (target 0.92; 0.914 with the library-wide correction alone)
    assert one["learner_auc"] >= one["local_auc_same_rows"] + 0.007  # local 0.909


def test_learner_with_verdicts_chosen_as_the_product_asks_for_them() -> None:
    """Verdicts on the top suggestions and the uncertain ones (4 + 1 per round of five), not random ones.

    30 random verdicts hold about 7 interior paragraphs; these hold about 24, so the learner sees
    mostly hits and few misses among paragraphs the scorer already ranks high.  Measured on the
    paragraphs never judged, it stays below the local scorer on the same rows: recorded so that a
    change that makes it worse (class-balanced weights gave 0.797, a dense L2 of 30: 0.845) fails here."""
    from tests.finder.measure import learner_as_used, verdict_mix

    used = learner_as_used()
    print(f"\nlearner after 30 verdicts on top + uncertain suggestions: AUC {used['learner_auc']:.3f} vs local "
          f"{used['local_auc_same_rows']:.3f} on the unjudged rows; interior among the verdicts "
          f"{used['interior_among_verdicts']:.1f} (random verdicts: {verdict_mix():.1f})")
    assert used["draws"] >= 15
    assert used["learner_auc"] >= 0.86  # measured 0.869 (local scorer 0.873 on the same rows; target 0.92)
    assert used["learner_auc"] >= used["local_auc_same_rows"] - 0.02
    assert used["interior_among_verdicts"] >= 20  # measured 25.5 of 30
