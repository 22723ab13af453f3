"""Fit the local scorer's weights on the TUNE half only and print the constant table for weights.py.

Usage: python -m tests.finder.fit_weights
"""

from __future__ import annotations

import numpy as np

from core.finder.features import FEATURE_NAMES, extract
from core.finder.logistic import fit_newton, roc_auc
from tests.finder.labelled_set import split

L2 = 0.3  # by 4-fold CV within the tune half of 192 (0.1: 0.917, 0.3: 0.918, 1.0: 0.912)


def main() -> None:
    tune = split("tune")
    held = split("held")
    x = extract([r.text for r in tune], ngrams=False).features.astype(np.float64)
    y = np.array([r.interior for r in tune], dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    weights, bias = fit_newton((x - mean) / scale, y, L2)
    xh = extract([r.text for r in held], ngrams=False).features.astype(np.float64)
    yh = np.array([r.interior for r in held])
    print("tune AUC", round(roc_auc(((x - mean) / scale) @ weights + bias, y), 3))
    print("held AUC", round(roc_auc(((xh - mean) / scale) @ weights + bias, yh), 3))
    print("WEIGHTS = {")
    for name, m, s, w in zip(FEATURE_NAMES, mean, scale, weights):
        print(f'    "{name}": ({m:.6g}, {s:.6g}, {w:+.4f}),')
    print("}")
    print(f"BIAS = {bias:+.4f}")


if __name__ == "__main__":
    main()
