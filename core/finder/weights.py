"""The local scorer's constant table: per feature (fitting-set mean, std, weight), and the bias.

Fitted by `python -m tests.finder.fit_weights` -- L2-regularised logistic regression on the 288
labelled paragraphs of seven books (`tests/finder/data`), L2 = 0.1 chosen by leave-one-book-out
cross-validation (pooled out-of-fold AUC 0.914 at 0.1; 0.908 at 0.3, 0.887 at 1.0).  The fresh
slice (Ulysses, Alice) never fitted or chose these numbers.  Bump `SCORER_VERSION` whenever the
table or the features change: cached features carry it.
"""

from __future__ import annotations

SCORER_VERSION = 3

WEIGHTS = {
    "log_words": (2.91627, 1.81656, +0.3095),
    "quote_share": (0.376225, 0.397286, -0.1709),
    "inner_evidence": (0.85895, 1.00066, +0.4727),
    "inner_density": (0.0346504, 0.0513529, +0.3978),
    "feeling": (0.00868547, 0.0178652, +0.2395),
    "first_person_narration": (0.0132827, 0.035812, +0.2991),
    "third_person_narration": (0.0464486, 0.0527181, +0.1606),
    "first_person_speech": (0.0155099, 0.0290195, +0.0688),
    "interrupted_syntax": (0.011779, 0.0192448, +0.1276),
    "narrated_exclamations": (0.00197974, 0.0117057, +0.2345),
    "negation": (0.0164813, 0.0232317, -0.1222),
    "outer_evidence": (1.08257, 0.893924, -0.0477),
    "action": (0.0151653, 0.0229026, -0.0127),
    "concrete": (0.00780347, 0.0157219, -0.0894),
    "sentence_length": (2.78068, 0.691364, +0.0597),
    "commas": (0.0754348, 0.0426831, +0.0476),
    "modal_past": (0.0118573, 0.0193037, +0.0660),
    "fragments": (0.048901, 0.109862, +0.2828),
    "present_narration": (0.00232126, 0.00834819, +0.0587),
    "deixis": (0.000861401, 0.00341395, +0.2347),
    "interjections": (6.42942e-05, 0.000637548, +0.0167),
    "speech_introspection": (0.00678864, 0.0169107, +0.1905),
    "repetition": (0.0238252, 0.029131, +0.2602),
}
BIAS = -1.4969
