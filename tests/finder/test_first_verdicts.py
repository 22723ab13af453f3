"""The first verdict of one kind must not collapse the suggestions (the learner's bias stays at 0 until both exist).

Found in the reader on The Brothers Karamazov: 311 strong suggestions, then 0 after one dismissal and 5,960 of
5,961 after one accepted passage, because an unpenalised bias fitted to labels of one class runs off.  Here on a
smaller corpus book, the same flow: one dismissal, then one accept, then both kinds.
"""

from __future__ import annotations

import numpy as np

from core.finder.learner import TrainingExample, fit
from core.finder.reading import ReadingFinder, accept_suggestion
from tests.tui.conftest import NOTES


def test_one_kind_of_verdict_moves_the_ranking_a_little_not_the_whole_library(project, db, corpus):
    from core.library import import_book

    book = import_book(project, db, corpus / NOTES)
    finder = ReadingFinder(project, db)
    reading = finder.reading(book.id)
    before = reading.ahead(-1)
    assert before >= 10
    first = reading.next_after(-1)
    after_dismissal = finder.dismiss(book.id, first).ahead(-1)
    assert 0.5 * before <= after_dismissal <= before, (before, after_dismissal)
    second = finder.reading(book.id).next_after(first)
    accept_suggestion(project, db, finder.reading(book.id).scores, second)
    after_accept = finder.reading(book.id)
    total = len(after_accept.scores)
    assert 0.4 * before <= after_accept.ahead(-1) <= min(2 * before, total // 2), (before, after_accept.ahead(-1))


def test_the_bias_is_fitted_only_when_both_kinds_exist() -> None:
    rng = np.random.default_rng(3)
    from core.finder.features import N_FEATURES

    def example(i: int, valuable: bool) -> TrainingExample:
        return TrainingExample((1, i, i + 1), rng.normal(size=N_FEATURES).astype(np.float32),
                               rng.integers(0, 1000, size=12).astype(np.int32), valuable)

    assert fit([example(0, False)]).bias == 0.0
    assert fit([example(i, True) for i in range(5)]).bias == 0.0
    both = fit([example(i, i % 2 == 0) for i in range(10)])
    assert np.isfinite(both.bias)
