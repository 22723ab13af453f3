"""The finder over a whole library: scores per book, verdicts from the store, one learner for all.

Why one object: a verdict in one book must re-rank every book (the learner's features are the
same everywhere), so the scores of all open books and the verdicts live together, and a new
verdict is one `fit` plus one re-rank per book -- tens of milliseconds for a library.  The
command line and the studio both build it with `open_finder` and change it with
`record_verdict` / `dismiss`; nothing here knows about screens.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Mapping, Optional

from core.finder.cache import book_extraction
from core.finder.features import extract
from core.finder.learner import LearnedModel, LibraryModel, TrainingExample, fit_library
from core.finder.suggestions import BookScores, Suggestion
from core.library import BookNotFoundError, get_book, load_book_text
from core.project import Project
from store.database import Database


class Finder:
    """Scores for some books and the learner trained on every verdict in the project."""

    def __init__(self) -> None:
        self.books: dict[int, BookScores] = {}
        self.examples: dict[tuple[int, int, int], TrainingExample] = {}
        self.learned = LibraryModel()

    @property
    def model(self) -> LearnedModel:
        """The library-wide correction (each book with five verdicts or more has its own over it)."""
        return self.learned.library

    def add_book(self, scores: BookScores) -> None:
        self.books[scores.book_id] = scores
        scores.rerank(self.model, self.learned.for_book(scores.book_id))

    def book(self, book_id: int) -> BookScores:
        return self.books[book_id]

    def add_examples(self, spans: Iterable[tuple[int, int, int, str, bool]]) -> None:
        """Add verdicts `(book_id, start, end, text, valuable)` without re-training (see `retrain`)."""
        pending = list(spans)
        if not pending:
            return
        extraction = extract([text for _, _, _, text, _ in pending])
        for row, (book_id, start, end, _, valuable) in enumerate(pending):
            ngrams = extraction.ngram_indices[extraction.ngram_indptr[row]:extraction.ngram_indptr[row + 1]]
            key = (book_id, start, end)
            self.examples[key] = TrainingExample(key, extraction.features[row], ngrams.copy(), valuable,
                                                 self._teacher_of(book_id, start, end))
            if book_id in self.books:
                self.books[book_id].mark_judged(self.books[book_id].paragraphs_of_span(start, end))

    def _teacher_of(self, book_id: int, start: int, end: int) -> float:
        scores = self.books.get(book_id)
        if scores is None:
            return float("nan")
        span = scores.paragraphs_of_span(start, end)
        return scores.teacher_rating(span.start, span.stop)

    def set_teacher_ratings(self, book_id: int, ratings: Mapping[int, float]) -> None:
        """The teacher's ratings of paragraphs of an open book: one more input, learnt and re-ranked."""
        self.books[book_id].set_teacher_ratings(ratings)
        for key, example in list(self.examples.items()):
            if key[0] == book_id:
                self.examples[key] = dataclasses.replace(example, teacher=self._teacher_of(*key))
        self.retrain()

    def retrain(self) -> None:
        """Fit the learner on every verdict and re-rank every open book."""
        self.learned = fit_library(list(self.examples.values()))
        for book_id, scores in self.books.items():
            scores.rerank(self.model, self.learned.for_book(book_id))

    def record_verdict(self, book_id: int, start: int, end: int, text: str, valuable: bool) -> None:
        """One new verdict (a passage marked, a suggestion dismissed): learn it and re-rank everything."""
        self.add_examples([(book_id, start, end, text, valuable)])
        self.retrain()

    def forget_verdict(self, book_id: int, start: int, end: int) -> None:
        """Undo a verdict (the passage deleted, the dismissal undone) and re-rank."""
        if self.examples.pop((book_id, start, end), None) is not None:
            scores = self.books.get(book_id)
            if scores is not None:
                scores.judged[:] = False
                for other_book, other_start, other_end in self.examples:
                    if other_book == book_id:
                        scores.mark_judged(scores.paragraphs_of_span(other_start, other_end))
            self.retrain()

    def top(self, n: int) -> list[Suggestion]:
        """The `n` best unjudged paragraphs across every open book."""
        candidates = [s for scores in self.books.values() for s in scores.top(n)]
        return sorted(candidates, key=lambda s: -s.score)[:n]


def load_book_scores(project: Project, db: Database, book_id: int) -> BookScores:
    """A book's local scores, from the project's cache when its text has not changed."""
    book = get_book(db, book_id)
    book_text = load_book_text(project, book)
    extraction = book_extraction(project.root, book_text.text, book_text.paragraphs)
    return BookScores(book.id, book_text.text, book_text.paragraphs, extraction)


def project_verdicts(project: Project, db: Database) -> list[tuple[int, int, int, str, bool]]:
    """Every verdict the project holds: passages marked valuable / not, and dismissed suggestions.

    A span's text is read from the book when its library files are there (the passage's own
    snapshot otherwise), so the learner sees what the reader saw.
    """
    verdicts: list[tuple[int, int, int, str, bool]] = []
    texts: dict[int, Optional[str]] = {}

    def book_text(book_id: int) -> Optional[str]:
        if book_id not in texts:
            book = db.books.find(book_id)
            try:
                texts[book_id] = load_book_text(project, book).text if book is not None else None
            except BookNotFoundError:  # missing or damaged files: its passages keep their snapshots
                texts[book_id] = None
        return texts[book_id]

    for passage in db.passages.all():
        if passage.verdict not in ("valuable", "not"):
            continue
        text = book_text(passage.book_id)
        span = text[passage.start:passage.end] if text is not None and passage.end <= len(text) else passage.text
        verdicts.append((passage.book_id, passage.start, passage.end, span, passage.verdict == "valuable"))
    for dismissal in db.dismissals.all():
        text = book_text(dismissal.book_id)
        if text is not None and dismissal.end <= len(text):
            verdicts.append((dismissal.book_id, dismissal.start, dismissal.end,
                             text[dismissal.start:dismissal.end], False))
    return verdicts


def open_finder(project: Project, db: Database, book_ids: Optional[Iterable[int]] = None,
                teacher: Optional[str] = None) -> Finder:
    """The finder for `book_ids` (every book when None), trained on every verdict in the project.

    With `teacher` (a teacher's name, e.g. "anthropic:claude-sonnet-4-6"), that teacher's cached
    ratings of each book's current text are one more input; without, the local scorer alone.
    """
    finder = Finder()
    ids = [book.id for book in db.books.all()] if book_ids is None else list(book_ids)
    for book_id in ids:
        finder.books[book_id] = load_book_scores(project, db, book_id)
        if teacher is not None:
            from store.finder import TeacherScoringRepository

            cached = TeacherScoringRepository(db.db).ratings(finder.books[book_id].version, teacher)
            if cached:
                finder.books[book_id].set_teacher_ratings(cached)
    finder.add_examples(project_verdicts(project, db))
    for passage in db.passages.all():  # a span already taken is read, whatever its verdict
        scores = finder.books.get(passage.book_id)
        if scores is not None:
            scores.mark_judged(scores.paragraphs_of_span(passage.start, passage.end))
    finder.retrain()
    return finder


def dismiss(project: Project, db: Database, finder: Finder, book_id: int, paragraph: int) -> None:
    """Dismiss a suggestion: stored as a "not valuable" verdict, learnt, and never suggested again."""
    scores = finder.book(book_id)
    start, end = (int(v) for v in scores.spans[paragraph])
    db.dismissals.dismiss(book_id, paragraph, start, end)
    finder.record_verdict(book_id, start, end, scores.text[start:end], False)


def undismiss(db: Database, finder: Finder, book_id: int, paragraph: int) -> None:
    """Undo a dismissal: the paragraph may be suggested again and the learner forgets it."""
    scores = finder.book(book_id)
    start, end = (int(v) for v in scores.spans[paragraph])
    db.dismissals.undismiss(book_id, start, end)
    finder.forget_verdict(book_id, start, end)
