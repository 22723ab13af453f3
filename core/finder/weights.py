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

SCORER_VERSION = 8

WEIGHTS = {
    "log_words": (2.768, 1.78433, +0.2283),
    "quote_share": (0.384519, 0.404146, -0.1489),
    "inner_evidence": (0.708024, 0.94463, +0.3127),
    "inner_density": (0.0295175, 0.0511067, +0.2190),
    "feeling": (0.00738447, 0.0159567, +0.1217),
    "first_person_narration": (0.0113356, 0.032111, +0.2545),
    "third_person_narration": (0.0436361, 0.052316, +0.1430),
    "first_person_speech": (0.018601, 0.0340187, +0.0519),
    "interrupted_syntax": (0.0120051, 0.0204559, +0.0515),
    "narrated_exclamations": (0.0023785, 0.0113011, +0.0945),
    "negation": (0.0166285, 0.024806, -0.0429),
    "outer_evidence": (1.0196, 0.87866, -0.0383),
    "action": (0.0160702, 0.0250649, +0.0526),
    "concrete": (0.00735235, 0.0154612, +0.0032),
    "sentence_length": (2.70713, 0.687394, +0.1198),
    "commas": (0.0769716, 0.0516536, -0.0437),
    "modal_past": (0.00964352, 0.0169722, +0.0850),
    "fragments": (0.0632975, 0.131721, +0.2118),
    "present_narration": (0.00286912, 0.0115374, +0.0338),
    "deixis": (0.00114042, 0.00516327, +0.1772),
    "interjections": (0.00021463, 0.00162743, -0.0486),
    "speech_introspection": (0.00766485, 0.0208054, +0.0216),
    "repetition": (0.0197538, 0.0276778, +0.2318),
    "sentence_peak": (0.0337259, 0.101534, +0.2449),
    "sentence_mean": (-0.00220714, 0.0560295, +0.2655),
    "verbless": (0.0393692, 0.110316, +0.2255),
    "subjectless": (0.104772, 0.159717, +0.1937),
    "title_list": (0, 1, +0.0000),
}
BIAS = -1.6722
