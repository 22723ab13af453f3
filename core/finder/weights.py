"""The local scorer's constant table: per feature (tune-half mean, tune-half std, weight), and the bias.

Fitted by `python -m tests.finder.fit_weights` -- L2-regularised logistic regression on the
TUNE half of the labelled set only (192 paragraphs from 7 books, 54 interior), L2 = 0.3 chosen
by 4-fold cross-validation inside that half (CV AUC 0.918, leave-one-book-out 0.902).  The
held-out half never fitted these numbers.  Bump `SCORER_VERSION` whenever the table or the
features change: cached features carry it.
"""

from __future__ import annotations

SCORER_VERSION = 2

WEIGHTS: dict[str, tuple[float, float, float]] = {
    "log_words": (2.98256, 1.79733, +0.2269),
    "quote_share": (0.375487, 0.392674, -0.1215),
    "inner_evidence": (0.869924, 1.01693, +0.3609),
    "inner_density": (0.0339158, 0.0527949, +0.2966),
    "feeling": (0.00818881, 0.0165523, +0.1425),
    "first_person_narration": (0.0127484, 0.0348817, +0.2201),
    "third_person_narration": (0.0480606, 0.0544489, +0.0590),
    "first_person_speech": (0.0161161, 0.0293872, -0.0160),
    "interrupted_syntax": (0.0111835, 0.0182293, +0.1238),
    "narrated_exclamations": (0.00249076, 0.0138285, +0.1737),
    "negation": (0.0173329, 0.0244995, -0.0537),
    "outer_evidence": (1.12792, 0.887241, +0.0961),
    "action": (0.0175897, 0.0242388, -0.0081),
    "concrete": (0.00816052, 0.0166439, -0.0313),
    "sentence_length": (2.75108, 0.677003, +0.1001),
    "commas": (0.0747091, 0.0422691, +0.0612),
    "modal_past": (0.0118913, 0.0192635, +0.1020),
}
BIAS = -1.2016
