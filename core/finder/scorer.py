"""The local scorer: features times a fitted constant table, squashed into [0, 1], with reasons.

Why a logistic model over designed features: it runs offline in a fraction of a second per
book, its weights are a small table anyone can read (`core/finder/weights.py`), and each score
decomposes into per-feature contributions, so the reasons shown are the terms that actually
moved the score, not a separate story.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import numpy.typing as npt

from core.finder.features import (FEATURE_NAMES, QUOTED, SENTENCE_SPLIT, TITLE_LIST, extract, family_words,
                                  normalize_quotes)
from core.finder.logistic import sigmoid
from core.finder.weights import BIAS, WEIGHTS

Array = npt.NDArray[np.float64]

@dataclass(frozen=True)
class LocalModel:
    """A local scorer: per-feature mean and scale (for z-scores), a weight per feature, and a bias.

    The shipped one is `DEFAULT` (the constant table in `weights.py`); measuring by cross-validation
    fits one per fold, and every function below takes one so that a fold's model is used end to end.
    """

    mean: Array
    scale: Array
    weight: Array
    bias: float

    def standardized(self, features: npt.NDArray[np.floating]) -> Array:
        z = (np.asarray(features, dtype=np.float64) - self.mean) / self.scale
        return np.clip(z, -_CLIP, _CLIP)

    def logits(self, features: npt.NDArray[np.floating]) -> Array:
        raw = np.asarray(features)
        return capped(self.standardized(raw) @ self.weight + self.bias, raw)


# A list of titles (a table of contents, a chapter heading) renders no mind, however many "Chapter I.
# He Gets Rid Of His Eldest Son" lines add up to look long and feeling-laden: its log-odds are capped
# here (score <= 0.01) rather than learnt, since a labelled set holds too few headings to fit a weight.
TITLE_LOGIT = -4.6


def capped(logits: Array, features: npt.NDArray[np.floating]) -> Array:
    """`logits` with every row whose `title_list` feature is set held at or below `TITLE_LOGIT`."""
    titles = np.asarray(features)[:, TITLE_LIST] > 0.5
    return np.where(titles, np.minimum(logits, TITLE_LOGIT), logits) if titles.any() else logits


# A standardized feature beyond +-6 is an outlier the fit never saw (a 2-word line of dashes):
# clipping keeps one freak count from deciding the score.
_CLIP = 6.0
DEFAULT = LocalModel(np.array([WEIGHTS[name][0] for name in FEATURE_NAMES], dtype=np.float64),
                     np.array([WEIGHTS[name][1] for name in FEATURE_NAMES], dtype=np.float64),
                     np.array([WEIGHTS[name][2] for name in FEATURE_NAMES], dtype=np.float64), BIAS)
_WEIGHT = DEFAULT.weight


def standardized(features: npt.NDArray[np.floating], model: Optional[LocalModel] = None) -> Array:
    """Features as z-scores against the fitting set, clipped to +-6 (what the weights expect)."""
    return (model or DEFAULT).standardized(features)


def local_logits(features: npt.NDArray[np.floating], model: Optional[LocalModel] = None) -> Array:
    """The local model's log-odds of "interior" for each row of features."""
    return (model or DEFAULT).logits(features)


def local_scores(features: npt.NDArray[np.floating], model: Optional[LocalModel] = None) -> Array:
    """Scores in [0, 1] for each row of features."""
    return sigmoid(local_logits(features, model))


# Inner life comes in stretches -- a chapter of reverie, a battle chapter -- so a paragraph's neighbours are
# evidence about it: each paragraph of a book gets CONTEXT_WEIGHT times the mean local log-odds of the up to
# CONTEXT_SPAN paragraphs on either side (headings left out).  Chosen by leave-one-book-out over 722 labelled
# paragraphs (`tests.finder.measure`): pooled AUC 0.901 -> 0.908, and the mean AUC within a book 0.902 ->
# 0.906, so it is not only the books' different base rates; spans 2-8 and weights 0.25-0.6 all land within
# 0.003 of it.  A paragraph scored alone (`score_texts`, `explain`) has no neighbours and no such term.
CONTEXT_SPAN = 5
CONTEXT_WEIGHT = 0.4


def context_terms(logits: Array, features: npt.NDArray[np.floating], span: int = CONTEXT_SPAN,
                  weight: float = CONTEXT_WEIGHT) -> Array:
    """Each row's neighbour term: `weight` x the mean of the other rows' `logits` within `span` rows (in
    book order), over rows that are not headings; 0 where there is no such neighbour."""
    values = np.asarray(logits, dtype=np.float64)
    count = len(values)
    if count == 0 or span <= 0 or weight == 0:
        return np.zeros(count)
    usable = (np.asarray(features)[:, TITLE_LIST] <= 0.5).astype(np.float64)
    sums = np.concatenate([[0.0], np.cumsum(values * usable)])
    counts = np.concatenate([[0.0], np.cumsum(usable)])
    rows = np.arange(count)
    low = np.maximum(rows - span, 0)
    high = np.minimum(rows + span + 1, count)
    total = sums[high] - sums[low] - values * usable
    number = counts[high] - counts[low] - usable
    return np.where(number > 0, weight * total / np.maximum(number, 1.0), 0.0)


def book_logits(features: npt.NDArray[np.floating], model: Optional[LocalModel] = None) -> tuple[Array, Array]:
    """The local log-odds of every paragraph of one book, in reading order, with its neighbours' term
    added (`context_terms`), and that term alone (for the reasons)."""
    own = local_logits(features, model)
    terms = context_terms(own, features)
    return capped(own + terms, features), terms


def score_texts(texts: Sequence[str]) -> Array:
    """Local scores of some texts (paragraphs), in order."""
    return local_scores(extract(texts, ngrams=False).features)


def _evidence(text: str, families: Sequence[str], shown: set[str], limit: int = 4) -> str:
    """Up to `limit` words of `families` in `text`, none already `shown` by an earlier reason (then shown)."""
    words: list[str] = []
    for family in families:
        for word in family_words(text, family):
            if word not in words and word not in shown:
                words.append(word)
    shown.update(words[:limit])
    return ", ".join(words[:limit])


def _sentences(text: str) -> int:
    """Narrated sentences (quoted speech cut out, as the sentence columns count them)."""
    narration = QUOTED.sub("\n", normalize_quotes(text))
    return sum(1 for piece in SENTENCE_SPLIT.split(narration) if any(c.isalpha() for c in piece))


def _phrase(name: str, text: str, raw: float, positive: bool, shown: Optional[set[str]] = None) -> str:
    """One reason, in words: feature `name` is high in `text` (`positive`) or low.  Words quoted as evidence
    are added to `shown`, and a later reason quotes others (no "feeling: pain" beside "... pain")."""
    shown = set() if shown is None else shown
    if name in ("inner_evidence", "inner_density"):
        words = _evidence(text, ("cognition", "perception", "mind", "hedge", "feeling"), shown)
        if not positive:
            return "few words of thought or feeling"
        return f"words of thought and feeling: {words}" if words else ""  # "": its words were all quoted already
    if name == "feeling":
        words = _evidence(text, ("feeling",), shown)
        if not positive:
            return "no feeling named"
        return f"feeling: {words}" if words else ""
    if name == "log_words":
        return "a long paragraph" if positive else "a short line"
    if name == "quote_share":
        return f"mostly quoted speech ({raw:.0%})" if positive else "narrated, little quoted speech"
    if name == "first_person_narration":
        return "first-person narration" if positive else "no narrating 'I'"
    if name == "first_person_speech":
        return "a speaker talking about themself" if positive else "speech about others"
    if name == "third_person_narration":
        return "he/she narration (free indirect)" if positive else "little he/she narration"
    if name == "interrupted_syntax":
        return "interrupted syntax (dashes, ellipses, semicolons)" if positive else "unbroken syntax"
    if name == "narrated_exclamations":
        return "exclamations or questions outside quotes" if positive else "no narrated exclamations"
    if name == "negation":
        return "negations and denials" if positive else "few negations"
    if name == "outer_evidence":
        words = _evidence(text, ("speech_tag", "public", "concrete"), shown)
        return (f"the outside world: {words}" if words else "the outside world") if positive else (
            "little of the outside world")
    if name == "action":
        words = _evidence(text, ("action",), shown)
        return (f"action: {words}" if words else "action") if positive else "little bodily action"
    if name == "concrete":
        words = _evidence(text, ("concrete",), shown)
        return (f"things: {words}" if words else "things") if positive else "few concrete things"
    if name == "sentence_length":
        return "long sentences" if positive else "short sentences"
    if name == "commas":
        return "clause-laden rhythm" if positive else "plain rhythm"
    if name == "modal_past":
        return "memory and reverie (had, would)" if positive else "simple past"
    if name == "fragments":
        if positive and _sentences(text) <= 1:
            # One narrated sentence is no "thought in fragments": in the paragraphs ranked highest it is the tag
            # of a quoted thought ("Ah, she has come!" thought he.), which the feature counts as a fragment.
            return ""
        return "thought in fragments (short narrated sentences)" if positive else "whole, built sentences"
    if name == "present_narration":
        return "present tense in the narration (a mind's own time)" if positive else "past-tense narration"
    if name == "deixis":
        return "the character's here and now" if positive else "no here and now"
    if name == "interjections":
        return "the inner voice exclaiming (oh, O, alas)" if positive else "no interjections"
    if name == "speech_introspection":
        return "a speaker examining themself aloud" if positive else "speech about the world"
    if name in ("sentence_peak", "sentence_mean"):
        if not positive:
            return "no sentence of thought or feeling"
        if _sentences(text) <= 1:  # peak and mean are the same sentence: one reason, worded for one
            return "a sentence of thought or feeling"
        return ("a sentence dense with thought or feeling" if name == "sentence_peak"
                else "sentence after sentence of thought or feeling")
    if name == "verbless":
        return "verbless notes, thought in shorthand" if positive else "whole sentences with verbs"
    if name == "subjectless":
        return "sentences without a subject (an inner voice's shorthand)" if positive else "sentences with subjects"
    if name == "repetition":
        return "words repeated, a mind circling" if positive else "little repetition"
    return name.replace("_", " ")


# Features whose high value reads as plain narration in words ("mostly quoted speech", "the outside world");
# every other feature's high value reads as a mark of inner life.
READS_PLAIN_WHEN_HIGH = frozenset({"quote_share", "outer_evidence", "action", "concrete", "commas"})


NO_MARKS = "no strong marks either way"
_SAME_REASON = {"inner_density": "inner_evidence"}


def explain(text: str, limit: int = 3) -> tuple[float, list[str]]:
    """The local score of one text and the reasons behind it, strongest first.

    Reasons are the features whose contributions (weight x z-score) pushed the score most: the
    ones for "interior" when the score is at least 0.5, else the ones against.  Never empty.
    """
    features = extract([text], ngrams=False).features
    z = standardized(features)[0]
    contributions = z * _WEIGHT
    score = float(sigmoid(capped(np.array([float(contributions.sum() + BIAS)]), features))[0])
    if features[0, TITLE_LIST] > 0.5:
        return score, ["a list of titles or a heading, not prose"]
    toward = score >= 0.5
    order = np.argsort(-contributions if toward else contributions, kind="stable")
    reasons: list[str] = []
    shown: set[str] = set()
    said: set[str] = set()  # one reason per kind: the count and the density of inner words are one reason
    for index in order:
        value = float(contributions[index])
        if len(reasons) == limit or not ((value > 0.02) if toward else (value < -0.02)):
            break
        high = bool(z[index] > 0)
        # A reason must read the way it counts: "the inner voice exclaiming" is no reason *against* inner life,
        # even where a fitted weight (shared with correlated features) happens to be negative.
        if ((FEATURE_NAMES[index] not in READS_PLAIN_WHEN_HIGH) == high) != toward:
            continue
        kind = _SAME_REASON.get(FEATURE_NAMES[index], FEATURE_NAMES[index])
        if kind in said:
            continue
        reason = _phrase(FEATURE_NAMES[index], text, float(features[0, index]), high, shown)
        said.add(kind)
        if reason and reason not in reasons:
            reasons.append(reason)
    if not reasons:
        reasons.append(NO_MARKS)
    return score, reasons
