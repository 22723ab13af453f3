"""Fit the local scorer's weights and print the constant table for `core/finder/weights.py`.

Why on every labelled paragraph but the fresh slice: leave-one-book-out cross-validation
(`tests.finder.measure`) is the estimate of how the scorer does on a book it never saw, and it
chooses the L2 penalty; once chosen, the shipped table is fitted on all 722 paragraphs of the
nine fitting books.  The fresh slice never fits or chooses anything.

Usage: python -m tests.finder.fit_weights
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from core.finder.features import FEATURE_NAMES, TITLE_LIST
from core.finder.logistic import fit_newton
from core.finder.scorer import LocalModel

L2_CHOICES = (0.03, 0.05, 0.1, 0.2, 0.3, 1.0)


def fit_local(features: npt.NDArray[np.floating], labels: npt.NDArray[np.bool_], l2: float) -> LocalModel:
    """L2-regularised logistic regression on z-scored features (the scorer's form).

    The `title_list` gate is not fitted (weight 0, mean 0, scale 1): the scorer caps it by rule."""
    x = np.asarray(features, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    mean[TITLE_LIST], scale[TITLE_LIST] = 0.0, 1.0
    scale[scale == 0] = 1.0
    z = np.clip((x - mean) / scale, -6.0, 6.0)
    fitted = np.arange(x.shape[1]) != TITLE_LIST
    weights = np.zeros(x.shape[1])
    weights[fitted], bias = fit_newton(z[:, fitted], np.asarray(labels, dtype=np.float64), l2)
    return LocalModel(mean, scale, weights, bias)


def main() -> None:
    from tests.finder.measure import fitting, lobo_local

    rows = fitting()
    results = {l2: lobo_local(l2) for l2 in L2_CHOICES}
    for l2, figures in results.items():
        print(f"L2 {l2}: leave-one-book-out AUC {figures['auc']:.3f}, P@20 {figures['precision_at_20']:.2f}")
    best = max(results, key=lambda l2: results[l2]["auc"])
    model = fit_local(rows.extraction.features, rows.labels, best)
    print(f"# L2 = {best}")
    print("WEIGHTS = {")
    for name, m, s, w in zip(FEATURE_NAMES, model.mean, model.scale, model.weight):
        print(f'    "{name}": ({m:.6g}, {s:.6g}, {w:+.4f}),')
    print("}")
    print(f"BIAS = {model.bias:+.4f}")


if __name__ == "__main__":
    main()
