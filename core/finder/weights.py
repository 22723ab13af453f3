"""The local scorer's constant table: per feature (fitting-set mean, std, weight), and the bias.

Fitted by `python -m tests.finder.fit_weights` -- L2-regularised logistic regression on the 378
labelled fitting paragraphs of nine books (`tests/finder/data`: splits tune, held and fit2), L2 =
0.1 chosen by leave-one-book-out cross-validation (pooled out-of-fold AUC 0.899 at 0.1; 0.898 at
0.2, 0.896 at 0.3, 0.885 at 1.0; 0.883 before the sentence columns, 0.888 before `verbless` and
`subjectless`).  `title_list` is a gate the scorer applies by rule (weight 0, mean 0, scale 1
here), never fitted.  The fresh slice (90 other paragraphs of Ulysses and Alice) never fitted or
chose these numbers.  Bump `SCORER_VERSION` whenever the table or the features change: cached
features carry it.
"""

from __future__ import annotations

SCORER_VERSION = 7

WEIGHTS = {
    "log_words": (2.76614, 1.81902, +0.2373),
    "quote_share": (0.382594, 0.406483, -0.1366),
    "inner_evidence": (0.735042, 0.965012, +0.3130),
    "inner_density": (0.0304443, 0.0498557, +0.1979),
    "feeling": (0.00804597, 0.0175716, +0.1280),
    "first_person_narration": (0.0117147, 0.0330756, +0.3313),
    "third_person_narration": (0.0418637, 0.050682, +0.1679),
    "first_person_speech": (0.0172238, 0.0330797, +0.1729),
    "interrupted_syntax": (0.0118721, 0.020351, +0.0687),
    "narrated_exclamations": (0.0022727, 0.0118079, +0.0601),
    "negation": (0.0161737, 0.0242523, -0.0871),
    "outer_evidence": (1.02081, 0.892271, -0.0437),
    "action": (0.014864, 0.0233163, +0.0267),
    "concrete": (0.00721809, 0.0154277, -0.0185),
    "sentence_length": (2.72165, 0.729932, +0.1206),
    "commas": (0.0717827, 0.0481675, -0.0328),
    "modal_past": (0.0102444, 0.0182326, +0.0501),
    "fragments": (0.0594258, 0.129738, +0.2211),
    "present_narration": (0.00261694, 0.0106571, +0.1008),
    "deixis": (0.0010575, 0.00512334, +0.2212),
    "interjections": (0.000147475, 0.00105537, -0.0697),
    "speech_introspection": (0.00680241, 0.0178113, +0.1111),
    "repetition": (0.0208334, 0.0277496, +0.2429),
    "sentence_peak": (0.0368221, 0.101107, +0.2510),
    "sentence_mean": (0.00069328, 0.0551014, +0.2745),
    "verbless": (0.0392999, 0.113538, +0.1691),
    "subjectless": (0.0977778, 0.163939, +0.1742),
    "title_list": (0, 1, +0.0000),
}
BIAS = -1.5361
