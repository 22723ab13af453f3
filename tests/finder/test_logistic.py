"""The finder's statistics: ROC AUC against its definition, and the two fitters against each other."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.finder.logistic import fit_gradient, fit_newton, precision_at, roc_auc, sigmoid


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-5, 5), st.booleans()), min_size=2, max_size=40)
       .filter(lambda rows: any(y for _, y in rows) and not all(y for _, y in rows)))
def test_auc_is_the_pairwise_ranking_probability(rows: list[tuple[int, bool]]) -> None:
    scores = [s for s, _ in rows]
    labels = [y for _, y in rows]
    positives = [s for s, y in rows if y]
    negatives = [s for s, y in rows if not y]
    pairs = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    assert abs(roc_auc(scores, labels) - pairs / (len(positives) * len(negatives))) < 1e-12


def test_precision_at_k_and_a_stable_sigmoid() -> None:
    assert precision_at([0.9, 0.8, 0.1, 0.7], [True, False, True, True], 2) == 0.5
    assert np.all(np.isfinite(sigmoid(np.array([-1e6, 0.0, 1e6]))))
    assert sigmoid(np.array([0.0]))[0] == 0.5


def test_gradient_fit_reaches_the_newton_optimum() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 4))
    y = (x @ np.array([1.5, -2.0, 0.0, 0.5]) + rng.normal(size=60) > 0).astype(float)
    w_newton, b_newton = fit_newton(x, y, 0.1)
    w_grad, b_grad = fit_gradient(x, y, np.full(4, 0.1), iterations=3000)
    assert np.allclose(w_newton, w_grad, atol=1e-3) and abs(b_newton - b_grad) < 1e-3
    assert w_newton[0] > 0 > w_newton[1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.floats(-10, 10), max_size=6), max_size=10))
def test_csr_row_sums_equal_the_bincount_they_replace(rows: list[list[float]]) -> None:
    from core.finder.learner import row_sums

    values = np.array([v for row in rows for v in row], dtype=np.float64)
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(row) for row in rows], out=indptr[1:])
    owner = np.repeat(np.arange(len(rows)), [len(row) for row in rows])
    assert np.allclose(row_sums(values, indptr), np.bincount(owner, weights=values, minlength=len(rows)))
