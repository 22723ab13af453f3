"""The local scorer's constant table: per feature (tune-half mean, tune-half std, weight), and the bias.

Fitted by `python -m tests.finder.fit_weights` -- L2-regularised logistic regression on the
TUNE half of the labelled set only (96 paragraphs, 27 interior), L2 = 0.3 chosen by 4-fold
cross-validation inside that half.  The held-out half never touched these numbers.  Bump
`SCORER_VERSION` whenever the table or the features change: cached scores carry it.
"""

from __future__ import annotations

SCORER_VERSION = 1

WEIGHTS: dict[str, tuple[float, float, float]] = {
    "log_words": (3.02166, 1.93946, +0.2367),
    "quote_share": (0.388562, 0.408903, -0.1807),
    "inner_evidence": (0.901384, 1.04049, +0.2727),
    "inner_density": (0.025935, 0.0317597, +0.2137),
    "feeling": (0.00733954, 0.0139782, +0.2055),
    "first_person_narration": (0.0176465, 0.0369216, +0.2442),
    "third_person_narration": (0.0355277, 0.0443413, +0.0049),
    "first_person_speech": (0.013116, 0.026852, +0.0229),
    "interrupted_syntax": (0.0116573, 0.0172059, +0.2079),
    "narrated_exclamations": (0.00435021, 0.0183761, +0.2310),
    "negation": (0.0144078, 0.0185786, -0.0343),
    "outer_evidence": (1.2143, 0.987306, +0.0954),
    "action": (0.0169034, 0.0227287, +0.0293),
    "concrete": (0.00824006, 0.015133, -0.0239),
    "sentence_length": (2.76741, 0.728351, +0.0895),
    "commas": (0.0716534, 0.042803, +0.1316),
    "modal_past": (0.0107031, 0.0175943, +0.0560),
}
BIAS = -1.2241
