"""One book's paragraph scores and the questions the reader asks of them.

Why a class over numpy arrays: the reader asks "next suggestion after paragraph i" on every key
press and the library asks "how many strong ones remain" for every row, so both are a masked
search over one array (microseconds for 12,000 paragraphs), and re-ranking after a verdict
replaces the array without touching the text.  Reasons and previews are built only for the
paragraphs actually shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Sequence

import numpy as np
import numpy.typing as npt

from core.finder.cache import text_version
from core.finder.features import Extraction
from core.finder.learner import TEACHER_PRIOR, LearnedModel, row_norms, teacher_delta
from core.finder.scorer import NO_MARKS, book_logits, explain, standardized
from core.finder.logistic import sigmoid

STRONG = 0.5  # a score at or above this is a suggestion worth reading
CONTEXT_NAMED = 0.5  # a neighbours' term (log-odds) at least this large is one of the reasons shown
PREVIEW_CHARS = 80


@dataclass(frozen=True)
class Suggestion:
    """A paragraph the finder points at, with the words behind its score."""

    book_id: int
    paragraph: int
    start: int
    end: int
    score: float
    reasons: tuple[str, ...]
    preview: str

    def as_json(self) -> dict[str, Any]:
        """The command line's JSON shape (`interiority suggest --json`)."""
        return {"paragraph": self.paragraph, "start": self.start, "end": self.end,
                "score": round(self.score, 4), "reasons": list(self.reasons), "preview": self.preview}


def preview_of(text: str) -> str:
    """The first 80 characters of a paragraph on one line."""
    return " ".join(text.split())[:PREVIEW_CHARS]


class BookScores:
    """Scores in [0, 1] for every paragraph of one book, local or re-ranked by the learner."""

    def __init__(self, book_id: int, text: str, spans: Sequence[tuple[int, int]], extraction: Extraction) -> None:
        self.book_id = book_id
        self.text = text
        self.spans = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
        self.extraction = extraction
        self._z = standardized(extraction.features)
        # The paragraph's own log-odds plus its neighbours' term (`core.finder.scorer.book_logits`).  The
        # learner's correction is fitted on the verdicts' own log-odds (the same whichever books are open:
        # the command line opens one, the studio all) and added on top of these.
        self.local_logit, self.context = book_logits(extraction.features)
        self.local = sigmoid(self.local_logit)
        self.scores = self.local.copy()
        self.judged = np.zeros(len(self.spans), dtype=bool)
        lengths = np.diff(extraction.ngram_indptr)
        self._row_of_ngram = np.repeat(np.arange(len(self.spans), dtype=np.int64), lengths)
        self._row_norm = row_norms(extraction.ngram_indptr)
        self._model: Optional[LearnedModel] = None
        self._book_model: Optional[LearnedModel] = None
        self.teacher = np.full(len(self.spans), np.nan)  # the teacher's ratings, NaN where none
        self._teacher_gap: Optional[npt.NDArray[np.float64]] = None
        self._version: Optional[str] = None

    @property
    def version(self) -> str:
        """The text version the scores (and the teacher's cached ratings) belong to."""
        if self._version is None:
            self._version = text_version(self.text, [(int(s), int(e)) for s, e in self.spans])
        return self._version

    def __len__(self) -> int:
        return len(self.spans)

    # -- learning -------------------------------------------------------------------------------
    def rerank(self, model: LearnedModel, book: Optional[LearnedModel] = None) -> None:
        """Replace the scores with the learner's: the library-wide correction `model` and this book's own
        `book` over it (`core.finder.learner.fit_library`); the local ones when there are no verdicts
        and no teacher ratings."""
        self._model, self._book_model = model, book
        if model.verdicts == 0 and self._teacher_gap is None:
            self.scores = self.local.copy()
            return
        x = self.extraction
        logits = model.logits(self._z, self.local_logit, x.ngram_indices, self._row_of_ngram, self._row_norm,
                              self._teacher_gap, x.ngram_indptr)
        if book is not None and book.verdicts:
            logits = book.logits(self._z, logits, x.ngram_indices, self._row_of_ngram, self._row_norm, None,
                                 x.ngram_indptr)
        self.scores = sigmoid(logits)

    def set_teacher_ratings(self, ratings: Mapping[int, float]) -> None:
        """The teacher's ratings of some paragraphs (index -> [0, 1]): one more input, re-ranked at once."""
        teacher = self.teacher.copy()  # a new array: snapshots (`copy.copy`) keep the ratings they had
        for paragraph, rating in ratings.items():
            if 0 <= paragraph < len(teacher):
                teacher[paragraph] = min(1.0, max(0.0, float(rating)))
        self.teacher = teacher
        rated = np.isfinite(teacher)
        self._teacher_gap = teacher_delta(teacher, self.local_logit) if rated.any() else None
        self.rerank(self._model or LearnedModel(), self._book_model)

    def teacher_rating(self, first: int, last: int) -> float:
        """The teacher's rating of the span of paragraphs `[first, last)` when it is exactly one rated
        paragraph, else NaN (a verdict's span carries the rating into the learner)."""
        if last - first == 1 and 0 <= first < len(self.teacher):
            return float(self.teacher[first])
        return float("nan")

    def mark_judged(self, paragraphs: Iterable[int]) -> None:
        """Paragraphs that already have a verdict (a passage or a dismissal): never suggested again."""
        for paragraph in paragraphs:
            if 0 <= paragraph < len(self.judged):
                self.judged[paragraph] = True

    def paragraphs_of_span(self, start: int, end: int) -> range:
        """The paragraphs a character span `[start, end)` touches."""
        first = int(np.searchsorted(self.spans[:, 1], start, side="right"))
        last = int(np.searchsorted(self.spans[:, 0], max(end, start + 1), side="left"))
        return range(first, max(first, last))

    # -- what the reader and library ask --------------------------------------------------------
    def suggestion(self, paragraph: int) -> Suggestion:
        """Paragraph `paragraph` with its score, reasons and preview."""
        start, end = (int(v) for v in self.spans[paragraph])
        text = self.text[start:end]
        own, reasons = explain(text)
        score = float(self.scores[paragraph])
        # The neighbours' term is named when it moved this paragraph's odds by half or more (x1.65), the way
        # the score leans: "amid plain narration" is no reason for a suggestion.  The reasons before it lean
        # the way the paragraph's own score does; where the neighbours tipped it the other way ("Amen! He
        # gnashed in fury." alone 0.63, among plain paragraphs 0.50), "but" says this one counts against them.
        context = float(self.context[paragraph])
        if abs(context) >= CONTEXT_NAMED and (context > 0) == (score >= STRONG):
            named = "amid passages of inner life" if context > 0 else "amid plain narration"
            if reasons == [NO_MARKS]:
                reasons = [named]
            else:
                reasons = [*reasons, named if (context > 0) == (own >= STRONG) else f"but {named}"]
        # What the verdicts moved, apart from what the teacher's rating did: the score against the
        # unlearned one with the teacher's rating at its prior weight.
        unlearned = float(self.local_logit[paragraph])
        if np.isfinite(self.teacher[paragraph]) and self._teacher_gap is not None:
            unlearned += TEACHER_PRIOR * float(self._teacher_gap[paragraph])
        shift = score - float(sigmoid(np.array([unlearned]))[0])
        if abs(shift) >= 0.1 and self._model is not None and self._model.verdicts:
            learned = "like the passages you marked valuable" if shift > 0 else "like the ones you turned down"
            reasons = [learned, *reasons]
        if np.isfinite(self.teacher[paragraph]):
            reasons = [f"the teacher rated it {float(self.teacher[paragraph]):.2f}", *reasons]
        return Suggestion(self.book_id, paragraph, start, end, score, tuple(reasons), preview_of(text))

    def _open(self) -> npt.NDArray[np.bool_]:
        return ~self.judged

    def top(self, n: Optional[int] = None, *, include_judged: bool = False) -> list[Suggestion]:
        """The `n` highest-scoring paragraphs (all when `n` is None), best first, ties in reading order."""
        candidates = np.arange(len(self.spans)) if include_judged else np.flatnonzero(self._open())
        order = candidates[np.argsort(-self.scores[candidates], kind="stable")]
        return [self.suggestion(int(i)) for i in (order if n is None else order[:n])]

    def most_uncertain(self, n: int) -> list[Suggestion]:
        """The `n` unjudged paragraphs whose score is closest to 0.5: a verdict on them teaches most."""
        candidates = np.flatnonzero(self._open())
        order = candidates[np.argsort(np.abs(self.scores[candidates] - 0.5), kind="stable")]
        return [self.suggestion(int(i)) for i in order[:n]]

    def next_suggestion(self, after: int, threshold: float = STRONG) -> Optional[int]:
        """The first unjudged paragraph after `after` scoring at least `threshold`, or None."""
        begin = max(after + 1, 0)
        hits = np.flatnonzero((self.scores[begin:] >= threshold) & self._open()[begin:])
        return int(hits[0]) + begin if len(hits) else None

    def previous_suggestion(self, before: int, threshold: float = STRONG) -> Optional[int]:
        """The last unjudged paragraph before `before` scoring at least `threshold`, or None."""
        stop = min(max(before, 0), len(self.spans))
        hits = np.flatnonzero((self.scores[:stop] >= threshold) & self._open()[:stop])
        return int(hits[-1]) if len(hits) else None

    def strong_remaining(self, after: int = -1, threshold: float = STRONG) -> int:
        """How many unjudged paragraphs after `after` score at least `threshold` (the library's count)."""
        begin = max(after + 1, 0)
        return int(np.count_nonzero((self.scores[begin:] >= threshold) & self._open()[begin:]))
