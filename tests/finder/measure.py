"""The finder's figures on the labelled set: what the quality tests assert and the report quotes.

Why a module: the tests and anyone re-fitting weights compute the same numbers the same way --
the local scorer's ROC AUC and precision at 20 on each half, a naive word-list baseline beside
it, and the learner after 30 verdicts, cross-validated by repeated random draws.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np
import numpy.typing as npt

from core.finder.features import Extraction, extract
from core.finder.learner import TrainingExample, fit, row_norms
from core.finder.logistic import precision_at, roc_auc
from core.finder.scorer import local_logits, local_scores, standardized
from tests.finder.labelled_set import LabelledParagraph, split

NAIVE_WORDS = frozenset("thought think felt feel feeling mind heart remembered wondered seemed knew soul".split())
_WORD = re.compile(r"[a-z']+")


def naive_scores(texts: Sequence[str]) -> npt.NDArray[np.float64]:
    """The baseline: share of words from a dozen-word list of inner verbs and nouns."""
    out = []
    for text in texts:
        words = _WORD.findall(text.lower())
        out.append(sum(w in NAIVE_WORDS for w in words) / (len(words) + 1))
    return np.array(out)


@dataclass(frozen=True)
class Half:
    rows: tuple[LabelledParagraph, ...]
    extraction: Extraction
    labels: npt.NDArray[np.bool_]

    def examples(self) -> list[TrainingExample]:
        x = self.extraction
        return [TrainingExample((0, i, i), x.features[i], x.ngram_indices[x.ngram_indptr[i]:x.ngram_indptr[i + 1]],
                                bool(self.labels[i])) for i in range(len(self.rows))]

    def learned_scores(self, examples: Sequence[TrainingExample]) -> npt.NDArray[np.float64]:
        x = self.extraction
        rows = np.repeat(np.arange(len(self.rows), dtype=np.int64), np.diff(x.ngram_indptr))
        return fit(examples).logits(standardized(x.features), local_logits(x.features), x.ngram_indices, rows,
                                    row_norms(x.ngram_indptr))


@lru_cache(maxsize=2)
def half(name: str) -> Half:
    rows = tuple(split(name))
    return Half(rows, extract([r.text for r in rows]), np.array([r.interior for r in rows]))


def local_figures(name: str) -> dict[str, float]:
    h = half(name)
    scores = local_scores(h.extraction.features)
    naive = naive_scores([r.text for r in h.rows])
    return {"auc": roc_auc(scores, h.labels), "precision_at_20": precision_at(scores, h.labels, 20),
            "naive_auc": roc_auc(naive, h.labels), "naive_precision_at_20": precision_at(naive, h.labels, 20)}


def learner_within(name: str, verdicts: int = 30, draws: int = 20) -> dict[str, float]:
    """Verdicts on `verdicts` random paragraphs of a half, AUC on the rest of it (mean over draws)."""
    h = half(name)
    examples = h.examples()
    local = local_scores(h.extraction.features)
    learned, base = [], []
    for draw in range(draws):
        rng = np.random.default_rng(1000 + draw)
        picked = rng.choice(len(examples), verdicts, replace=False)
        rest = np.setdiff1d(np.arange(len(examples)), picked)
        if h.labels[picked].all() or not h.labels[picked].any() or h.labels[rest].all():
            continue
        scores = h.learned_scores([examples[i] for i in picked])
        learned.append(roc_auc(scores[rest], h.labels[rest]))
        base.append(roc_auc(local[rest], h.labels[rest]))
    return {"learner_auc": float(np.mean(learned)), "local_auc_same_rows": float(np.mean(base)),
            "draws": float(len(learned))}


def learner_across(verdict_half: str, test_half: str, verdicts: int = 30, draws: int = 20) -> float:
    """Verdicts on paragraphs of one half, AUC on the whole other half (other paragraphs, same books)."""
    source = half(verdict_half)
    target = half(test_half)
    examples = source.examples()
    aucs = []
    for draw in range(draws):
        picked = np.random.default_rng(2000 + draw).choice(len(examples), verdicts, replace=False)
        aucs.append(roc_auc(target.learned_scores([examples[i] for i in picked]), target.labels))
    return float(np.mean(aucs))


if __name__ == "__main__":
    for name in ("tune", "held"):
        print(name, {k: round(v, 3) for k, v in local_figures(name).items()})
    print("learner within held", {k: round(v, 3) for k, v in learner_within("held").items()})
    print("learner within tune", {k: round(v, 3) for k, v in learner_within("tune").items()})
    print("learner tune->held", round(learner_across("tune", "held"), 3))
