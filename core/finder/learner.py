"""Learning from verdicts: a logistic correction on top of the local scorer, in milliseconds.

Why this shape: with a handful of verdicts a model trained from scratch is worse than the
local scorer, so the learner keeps the local log-odds as a fixed offset and learns only a
correction -- per-feature weight changes (the person cares more about memory than the tune set
did) and hashed word unigrams and bigrams (2^16 buckets: "Odette", "the little phrase").  L2
pulls every correction toward zero, so few verdicts move the ranking a little and many move it
a lot.  Verdicts come from any book and the features are the same everywhere, so what is
learnt in one book re-ranks the next.

A book with enough verdicts of both kinds also gets its own correction over the library-wide one
(`fit_library`, `BOOK_DENSE_L2`): what a reader teaches in Karamazov moves Karamazov most.

Positives are passages marked valuable; negatives are passages marked not valuable and
dismissed suggestions.  "unsure" teaches nothing.

A teacher's rating (`core.finder.teacher_scoring`), where a paragraph has one, is one more input:
its log-odds pull the local log-odds halfway toward it (`TEACHER_PRIOR`: two independent
judges, equally trusted until the verdicts say otherwise), and the learner fits one more weight
on the gap between them, so verdicts decide how far the teacher is to be trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional, Sequence

import numpy as np
import numpy.typing as npt

from core.finder.features import HASH_BUCKETS, N_FEATURES
from core.finder.logistic import fit_gradient
from core.finder.scorer import LocalModel, local_logits, standardized

Array = npt.NDArray[np.float64]

TEACHER_PRIOR = 0.5
# Divided by the verdict count.  30 (chosen by random 30-verdict draws) let verdicts on the top suggestions
# -- mostly hits, among paragraphs the scorer already ranks high -- teach feature corrections that rank the
# unjudged paragraphs worse (AUC 0.845 vs the local scorer's 0.869, `tests.finder.measure.learner_as_used`);
# 100 costs 0.009 there and nothing with random verdicts (0.900 vs 0.899); 300 cost nothing either way but
# would leave a reader whose taste differs from the labels waiting many more verdicts for the ranking to move.
DENSE_L2 = 100.0
SPARSE_L2 = 10.0


@dataclass(frozen=True)
class TrainingExample:
    """One verdict: a span's features and hashed n-grams, and whether it was valuable."""

    key: tuple[int, int, int]  # (book_id, start, end)
    features: npt.NDArray[np.float32]  # (N_FEATURES,)
    ngrams: npt.NDArray[np.int32]
    valuable: bool
    teacher: float = float("nan")  # the teacher's rating of the span, when it has one


def teacher_delta(ratings: npt.ArrayLike, local_logit: Array) -> Array:
    """The teacher's log-odds minus the local ones where a rating exists (NaN: none), else 0.

    Ratings are clipped to [0.02, 0.98] so that a teacher's 0 or 1 is strong but not infinite.
    """
    rated = np.asarray(ratings, dtype=np.float64)
    has = np.isfinite(rated)
    clipped = np.clip(np.where(has, rated, 0.5), 0.02, 0.98)
    return np.where(has, np.log(clipped / (1.0 - clipped)) - local_logit, 0.0)


@dataclass
class LearnedModel:
    """Corrections to the local log-odds: dense feature weights, hashed n-gram weights, a bias."""

    dense: Array = field(default_factory=lambda: np.zeros(N_FEATURES))
    sparse: Array = field(default_factory=lambda: np.zeros(HASH_BUCKETS))
    bias: float = 0.0
    verdicts: int = 0
    teacher_weight: float = 0.0  # added to TEACHER_PRIOR on the teacher's gap

    def logits(self, z: Array, local_logit: Array, ngram_indices: npt.NDArray[np.int32],
               row_of_ngram: npt.NDArray[np.int64], row_norm: Array,
               teacher_gap: Optional[Array] = None, indptr: Optional[npt.NDArray[np.int64]] = None) -> Array:
        """Log-odds for a block of paragraphs (a book) from its standardized features `z`, local
        log-odds and CSR n-grams given as row ids -- all precomputed once per book, so a re-rank
        is one matrix-vector product and one weighted bincount.  `teacher_gap` is
        `teacher_delta` of the book's ratings (None or zeros where there are none); with the CSR
        `indptr`, the n-gram sums are one `np.add.reduceat` (half the time of the bincount)."""
        base = local_logit if teacher_gap is None else local_logit + (TEACHER_PRIOR + self.teacher_weight) * teacher_gap
        if self.verdicts == 0:
            return base
        sparse = row_sums(self.sparse[ngram_indices], indptr) if indptr is not None else np.bincount(
            row_of_ngram, weights=self.sparse[ngram_indices], minlength=len(local_logit))
        return base + z @ self.dense + sparse * row_norm + self.bias


def row_sums(values: Array, indptr: npt.NDArray[np.int64]) -> Array:
    """Per-row sums of CSR `values` (rows `indptr[i]:indptr[i + 1]`), empty rows 0."""
    sums = np.zeros(len(indptr) - 1)
    filled = indptr[:-1] < indptr[1:]
    if filled.any():
        # Between two filled rows' starts lie exactly the first one's values (empty rows add no
        # values), and the last filled row runs to the end: reduceat over filled rows is exact.
        sums[filled] = np.add.reduceat(values, indptr[:-1][filled])
    return sums


def row_norms(indptr: npt.NDArray[np.int64]) -> Array:
    """1/sqrt(n-grams in the row): long paragraphs must not win by having more words."""
    lengths = np.diff(indptr).astype(np.float64)
    return 1.0 / np.sqrt(np.maximum(lengths, 1.0))


def fit(examples: Sequence[TrainingExample], *, dense_l2: float = DENSE_L2,
        sparse_l2: float = SPARSE_L2, local: Optional[LocalModel] = None,
        base_logits: Optional[Array] = None) -> LearnedModel:
    """The correction that best explains the verdicts (an empty model when there are none).

    See `_fit` (which also returns the verdicts' log-odds under the correction).
    """
    return _fit(examples, dense_l2=dense_l2, sparse_l2=sparse_l2, local=local, base_logits=base_logits)[0]


def _fit(examples: Sequence[TrainingExample], *, dense_l2: float = DENSE_L2,
         sparse_l2: float = SPARSE_L2, local: Optional[LocalModel] = None,
         base_logits: Optional[Array] = None) -> tuple[LearnedModel, Array]:
    """The correction and the verdicts' log-odds under it.

    Only the buckets that occur in the verdicts get a column, so the system is (verdicts) x
    (features + a few thousand buckets) whatever the library's size.  `local` is the scorer the
    correction sits on (the shipped one by default); `base_logits`, when given, are the examples'
    log-odds before the correction in place of that scorer's (cross-validation passes out-of-fold
    ones, so the learner corrects a scorer that never saw the verdicts' books).
    """
    if not examples:
        return LearnedModel(), np.zeros(0)
    features = np.stack([np.asarray(e.features, dtype=np.float64) for e in examples])
    labels = np.array([1.0 if e.valuable else 0.0 for e in examples])
    active, inverse = np.unique(np.concatenate([e.ngrams for e in examples]).astype(np.int64),
                                return_inverse=True)
    sparse = np.zeros((len(examples), len(active)))
    position = 0
    for row, example in enumerate(examples):
        count = len(example.ngrams)
        np.add.at(sparse[row], inverse[position:position + count], 1.0 / np.sqrt(max(count, 1)))
        position += count
    local_logit = local_logits(features, local)
    gap = teacher_delta([e.teacher for e in examples], local_logit)
    rated = bool(np.any(gap != 0.0))
    columns = [standardized(features, local), sparse] + ([gap[:, None]] if rated else [])
    design = np.hstack(columns)
    # The penalty is per verdict: the more verdicts, the less the prior holds the model back.
    penalty = np.concatenate([np.full(N_FEATURES, dense_l2), np.full(len(active), sparse_l2),
                              np.full(1 if rated else 0, dense_l2)]) / len(examples)
    positives = labels.sum()
    negatives = len(labels) - positives
    # Every verdict weighs the same.  The verdicts are chosen by their scores (a reader judges the top
    # suggestions and the uncertain ones), and choosing on the features does not bias the correction
    # P(valuable | features); weighting the classes to balance would (it is a choice on the label):
    # with 24 of 30 verdicts valuable, balanced weights taught the learner that "inner" features mean
    # "plain" among the top ones (out-of-fold AUC on the unjudged rows 0.797 balanced, 0.831 equal,
    # local scorer 0.848; random verdicts 0.886 and 0.887: `tests.finder.measure.learner_as_used`).
    balance = np.full(len(labels), 1.0 / len(labels))
    offset = (local_logit + TEACHER_PRIOR * gap if base_logits is None
              else np.asarray(base_logits, dtype=np.float64))
    # The bias moves every paragraph of the library.  With verdicts of one kind only it has nothing to balance
    # against and runs off (one dismissal left no strong suggestion in Karamazov; one accept made 5,960 of
    # 5,961 strong), so it is fitted only once both kinds exist, and then held near 0 like the dense weights
    # (the local scorer is the prior), so that a few verdicts move the paragraphs like them, not all of them.
    weights, fitted_bias = fit_gradient(design, labels, penalty, offset=offset, sample_weight=balance,
                                        intercept=bool(positives and negatives),
                                        bias_l2=dense_l2 / len(examples))
    model = LearnedModel(bias=fitted_bias, verdicts=len(examples))
    model.dense = weights[:N_FEATURES]
    model.sparse[active] = weights[N_FEATURES:N_FEATURES + len(active)]
    if rated:
        model.teacher_weight = float(weights[-1])
    return model, offset + design @ weights + fitted_bias


# A book's own correction.  A reader who marks passages in Karamazov wants Karamazov's suggestions to get
# better, and the library-wide correction is held back (DENSE_L2) so that verdicts on the top suggestions
# do not spoil the other books.  So once a book has BOOK_MIN_VERDICTS verdicts, BOOK_MIN_EACH of each
# kind, a second correction is fitted on them alone, over the library-wide one, and moves that book only.
# Measured leave-one-book-out (`tests.finder.measure.learner_in_one_book`, 30 random verdicts in one book,
# AUC on its other labelled paragraphs, mean over the nine books): local scorer 0.909, library-wide
# correction alone 0.914, with the book's 0.921 (its L2 at 10-30: within 0.001; 60: 0.919, 200: 0.916).
# With the verdicts a reader gives (the top suggestions and the uncertain ones) in one book: 0.783 local,
# 0.806 with the book's correction.  Random verdicts across the library, where few books reach five: unchanged.
BOOK_DENSE_L2 = 30.0
BOOK_MIN_VERDICTS = 5
BOOK_MIN_EACH = 2


@dataclass
class LibraryModel:
    """The library-wide correction and, for each book with enough verdicts, that book's own over it."""

    library: LearnedModel = field(default_factory=LearnedModel)
    books: dict[int, LearnedModel] = field(default_factory=dict)

    def for_book(self, book_id: int) -> Optional[LearnedModel]:
        return self.books.get(book_id)


def fit_library(examples: Sequence[TrainingExample], *, local: Optional[LocalModel] = None,
                base_logits: Optional[Array] = None) -> LibraryModel:
    """The library-wide correction (`fit`) and each book's own (books are `TrainingExample.key[0]`).

    A book's correction is fitted on its verdicts over their log-odds under the library-wide one, without
    the teacher's column (the library-wide correction already weighs the teacher), so the two add up."""
    library, fitted = _fit(examples, local=local, base_logits=base_logits)
    rows_of: dict[int, list[int]] = {}
    for row, example in enumerate(examples):
        rows_of.setdefault(example.key[0], []).append(row)
    books: dict[int, LearnedModel] = {}
    for book_id, rows in rows_of.items():
        # Verdicts of one kind only teach "everything like these" with nothing to set it against (eight
        # dismissals of the top suggestions in Notes from Underground left no strong one in the book), and one
        # of the other kind is not much more: eight dismissals and one accept took the book's strong
        # suggestions from 32 to 10.  Two of each kind: 32 to 34; the figures above move by 0.001.
        positives = sum(examples[row].valuable for row in rows)
        if len(rows) >= BOOK_MIN_VERDICTS and min(positives, len(rows) - positives) >= BOOK_MIN_EACH:
            own = [replace(examples[row], teacher=float("nan")) for row in rows]
            books[book_id] = fit(own, dense_l2=BOOK_DENSE_L2, local=local, base_logits=fitted[rows])
    return LibraryModel(library, books)
