"""The local scorer's constant table: per feature (fitting-set mean, std, weight), and the bias.

Fitted by `python -m tests.finder.fit_weights` -- L2-regularised logistic regression on the 722
labelled fitting paragraphs of nine books (`tests/finder/data`: splits tune, held, fit2 and fit3), L2 =
0.1 chosen by leave-one-book-out cross-validation with the neighbours' term (pooled out-of-fold AUC 0.907
at 0.1; 0.906 at 0.2, 0.905 at 0.05 and 0.3, 0.896 at 1.0).  Over the 378 paragraphs before fit3: 0.899,
0.883 before the sentence columns, 0.888 before `verbless` and `subjectless`.  `title_list` is a gate
the scorer applies by rule (weight 0, mean 0, scale 1 here), never fitted.  The fresh slice (90 other
paragraphs of Ulysses and Alice) never fitted or chose these numbers.  Bump `SCORER_VERSION` whenever
the table or the features change: cached features carry it.
"""

from __future__ import annotations

SCORER_VERSION = 9

WEIGHTS = {
    "log_words": (2.76791, 1.78419, +0.2283),
    "quote_share": (0.384656, 0.404019, -0.1495),
    "inner_evidence": (0.708024, 0.94463, +0.3128),
    "inner_density": (0.0295203, 0.0511071, +0.2191),
    "feeling": (0.00738447, 0.0159567, +0.1217),
    "first_person_narration": (0.0113382, 0.0321158, +0.2541),
    "third_person_narration": (0.0436389, 0.0523172, +0.1429),
    "first_person_speech": (0.018601, 0.0340187, +0.0520),
    "interrupted_syntax": (0.0120051, 0.0204559, +0.0515),
    "narrated_exclamations": (0.00237858, 0.0113011, +0.0945),
    "negation": (0.0166285, 0.024806, -0.0429),
    "outer_evidence": (1.0196, 0.87866, -0.0385),
    "action": (0.0160652, 0.025065, +0.0528),
    "concrete": (0.00735235, 0.0154612, +0.0032),
    "sentence_length": (2.70713, 0.687394, +0.1196),
    "commas": (0.0769716, 0.0516536, -0.0436),
    "modal_past": (0.00964352, 0.0169722, +0.0850),
    "fragments": (0.0632975, 0.131721, +0.2119),
    "present_narration": (0.00286972, 0.011538, +0.0338),
    "deixis": (0.00114051, 0.00516332, +0.1772),
    "interjections": (0.00021463, 0.00162743, -0.0486),
    "speech_introspection": (0.00766485, 0.0208054, +0.0217),
    "repetition": (0.0197538, 0.0276778, +0.2318),
    "sentence_peak": (0.0337259, 0.101534, +0.2449),
    "sentence_mean": (-0.00219841, 0.0560342, +0.2649),
    "verbless": (0.0393692, 0.110316, +0.2256),
    "subjectless": (0.104791, 0.159718, +0.1932),
    "title_list": (0, 1, +0.0000),
}
BIAS = -1.6722
