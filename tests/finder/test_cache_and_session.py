"""The finder inside a project: cached per text version, re-ranked by verdicts, dismissals stored."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import core.finder.cache as cache
from core.finder import BookScores, Finder, dismiss, load_book_scores, open_finder, undismiss
from core.finder.features import extract
from core.library import import_book
from core.project import Project
from store.database import Database
from store.records import Passage

INTERIOR = ("She felt, somehow, that she had failed him; and yet -- perhaps it was only the heat -- she could not "
            "remember why the thought of it frightened her so, or why she longed to be alone with her heart.")
PLAIN = "\u201cPass the salt,\u201d said the colonel. The regiment marched to the river and took the village."


def _write_book(folder: Path, paragraphs: list[str], name: str = "book.txt") -> Path:
    path = folder / name
    path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return path


def _book_scores(paragraphs: list[str], book_id: int = 1) -> BookScores:
    text = "\n\n".join(paragraphs)
    spans, position = [], 0
    for p in paragraphs:
        spans.append((position, position + len(p)))
        position += len(p) + 2
    return BookScores(book_id, text, spans, cache.book_extraction(None, text, spans))


def test_scores_are_cached_in_the_project_and_invalidated_when_the_text_changes(
        project: Project, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = import_book(project, db, _write_book(tmp_path, [INTERIOR, PLAIN] * 5))
    calls: list[int] = []

    def counting(texts: list[str], **kwargs: bool) -> object:
        calls.append(len(texts))
        return extract(texts, **kwargs)

    monkeypatch.setattr(cache, "extract", counting)
    first = load_book_scores(project, db, book.id)
    files = list((project.root / "cache" / "finder").glob("*.npz"))
    assert len(files) == 1 and calls == [10]
    again = load_book_scores(project, db, book.id)
    assert calls == [10], "a fresh cache must not rescore"
    assert np.array_equal(first.local, again.local)
    # the same text with one word changed is another version: rescored, a second file
    text_path = project.library / book.text_file
    text_path.write_text(text_path.read_text(encoding="utf-8").replace("colonel", "general"), encoding="utf-8")
    load_book_scores(project, db, book.id)
    assert calls == [10, 10]
    assert len(list((project.root / "cache" / "finder").glob("*.npz"))) == 2


def test_a_damaged_cache_file_is_rescored_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text, spans = INTERIOR + "\n\n" + PLAIN, [(0, len(INTERIOR)), (len(INTERIOR) + 2, len(INTERIOR) + 2 + len(PLAIN))]
    good = cache.book_extraction(tmp_path, text, spans)
    path = cache.cache_path(tmp_path, cache.text_version(text, spans))
    for damage in (b"not a zip", path.read_bytes()[:50]):
        path.write_bytes(damage)
        again = cache.book_extraction(tmp_path, text, spans)
        assert np.allclose(again.features, good.features)
    # a cache file from another paragraph count is ignored too
    other = cache.book_extraction(None, text, spans[:1])
    np.savez(path, features=other.features, ngram_indices=other.ngram_indices, ngram_indptr=other.ngram_indptr)
    assert cache.book_extraction(tmp_path, text, spans).features.shape == (2, good.features.shape[1])


def test_next_previous_top_uncertain_and_judged() -> None:
    scores = _book_scores([PLAIN, INTERIOR, PLAIN, INTERIOR, PLAIN])
    assert scores.next_suggestion(-1) == 1
    assert scores.next_suggestion(1) == 3
    assert scores.next_suggestion(3) is None
    assert scores.previous_suggestion(3) == 1 and scores.previous_suggestion(1) is None
    assert [s.paragraph for s in scores.top(2)] == [1, 3]
    assert scores.strong_remaining() == 2 and scores.strong_remaining(1) == 1
    scores.mark_judged([1])
    assert scores.next_suggestion(-1) == 3 and scores.strong_remaining() == 1
    assert 1 not in [s.paragraph for s in scores.top(None)]
    assert 1 in [s.paragraph for s in scores.top(None, include_judged=True)]
    uncertain = scores.most_uncertain(4)
    gaps = [abs(s.score - 0.5) for s in uncertain]
    assert gaps == sorted(gaps) and 1 not in [s.paragraph for s in uncertain]
    shown = scores.top(1)[0].as_json()
    assert set(shown) == {"paragraph", "start", "end", "score", "reasons", "preview"}
    assert shown["preview"] == INTERIOR[:80] and shown["reasons"]
    assert list(scores.paragraphs_of_span(*map(int, scores.spans[2]))) == [2]


def test_a_verdict_in_one_book_reranks_another() -> None:
    first = _book_scores([PLAIN, INTERIOR + " Odette, Odette!", PLAIN], book_id=1)
    second = _book_scores([PLAIN + " Odette was there.", PLAIN, INTERIOR], book_id=2)
    finder = Finder()
    finder.add_book(first)
    finder.add_book(second)
    before = second.scores.copy()
    start, end = (int(v) for v in first.spans[1])
    finder.record_verdict(1, start, end, first.text[start:end], True)
    assert first.judged[1]
    assert finder.model.verdicts == 1
    assert not np.allclose(before, second.scores), "the learner re-ranks every open book"
    finder.forget_verdict(1, start, end)
    assert not first.judged[1] and np.allclose(before, second.scores)


def test_open_finder_learns_from_passages_and_dismissals(project: Project, db: Database, tmp_path: Path) -> None:
    book = import_book(project, db, _write_book(tmp_path, [PLAIN, INTERIOR, PLAIN, INTERIOR, PLAIN]))
    finder = open_finder(project, db)
    scores = finder.book(book.id)
    start, end = (int(v) for v in scores.spans[1])
    db.passages.add(Passage(book_id=book.id, start=start, end=end, text=scores.text[start:end], verdict="valuable"))
    dismiss(project, db, finder, book.id, 3)
    assert [(d.paragraph, d.book_id) for d in db.dismissals.for_book(book.id)] == [(3, book.id)]
    assert scores.judged[3] and scores.next_suggestion(-1) != 3
    reopened = open_finder(project, db)
    assert reopened.model.verdicts == 2  # the valuable passage and the dismissal
    assert reopened.book(book.id).judged[1] and reopened.book(book.id).judged[3]
    undismiss(db, reopened, book.id, 3)
    assert db.dismissals.for_book(book.id) == [] and not reopened.book(book.id).judged[3]
    assert reopened.model.verdicts == 1
