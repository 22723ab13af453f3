"""The finder as the studio reads with it: one per project, shared by the Reader and the Library.

Why a class around `Finder`: the studio asks from two places (the reader's keys and margin, the
library's "strong suggestions unread" column) while the learner re-ranks in a worker thread.  So
every change to the finder happens under one lock, off the UI thread, and the UI only ever holds
a `BookReading` -- a private copy of one book's scores and judged marks, with the margin levels
already computed -- that a later re-rank replaces whole.  Reading a snapshot needs no lock, so a
key press never waits for a re-rank.

Verdicts are not pushed here one by one: after any change (a passage made, resized, deleted or
judged, a suggestion dismissed) `refresh` re-reads the project's verdicts and re-ranks when they
differ from what the learner knows.  The store stays the one record of what the person decided.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np
import numpy.typing as npt

from books.model import BookText
from core.finder.cache import text_version
from core.finder.session import Finder, dismiss, load_book_scores, project_verdicts, undismiss
from core.finder.suggestions import STRONG, BookScores, Suggestion
from core.library import BookNotFoundError, get_book, load_book_text
from core.passages import create_passage
from core.project import Project
from store.database import Database
from store.records import Passage

# Margin levels: 0 no mark, 1 "maybe" (a dim dot), 2 strong, 3 very strong.
MAYBE = 0.3
VERY_STRONG = 0.75
LEVEL_EDGES = (MAYBE, STRONG, VERY_STRONG)


def margin_levels(scores: BookScores) -> bytes:
    """One byte per paragraph: its margin level by score; judged paragraphs (passages, dismissals) get 0."""
    levels = np.digitize(scores.scores, LEVEL_EDGES).astype(np.uint8)
    levels[scores.judged] = 0
    return levels.tobytes()


def paragraph_of(scores: BookScores, offset: int) -> int:
    """The paragraph holding text offset `offset` (the one before it when between paragraphs)."""
    index = int(np.searchsorted(scores.spans[:, 0], offset, side="right")) - 1
    return min(max(index, 0), max(len(scores) - 1, 0))


@dataclass(frozen=True)
class BookReading:
    """A snapshot of one book's suggestions, owned by whoever holds it (the UI thread)."""

    scores: BookScores  # a copy: its `scores` and `judged` arrays are this snapshot's own
    levels: bytes  # `margin_levels(scores)`
    dismissed: frozenset[int]  # paragraphs dismissed (a second dismiss key press undoes it)
    generation: int  # bumped by every change in the finder; a newer snapshot replaces an older one

    def next_after(self, paragraph: int) -> Optional[int]:
        """The next strong paragraph after `paragraph` not yet taken or dismissed, in reading order."""
        return self.scores.next_suggestion(paragraph)

    def previous_before(self, paragraph: int) -> Optional[int]:
        """The last strong paragraph before `paragraph` not yet taken or dismissed."""
        return self.scores.previous_suggestion(paragraph)

    def ahead(self, paragraph: int) -> int:
        """How many strong suggestions lie after `paragraph`."""
        return self.scores.strong_remaining(paragraph)

    def without(self, paragraph: int, *, dismissed: bool = False) -> "BookReading":
        """This snapshot with `paragraph` judged -- taken, or `dismissed` -- shown at once, before the
        learner has re-ranked (the worker's snapshot, one generation on, replaces it)."""
        scores = copy.copy(self.scores)
        scores.judged = self.scores.judged.copy()
        scores.mark_judged([paragraph])
        levels = bytearray(self.levels)
        levels[paragraph] = 0
        gone = self.dismissed | {paragraph} if dismissed else self.dismissed
        return BookReading(scores, bytes(levels), gone, self.generation)


def _snapshot(scores: BookScores) -> BookScores:
    copied = copy.copy(scores)
    copied.scores = scores.scores.copy()
    copied.judged = scores.judged.copy()
    return copied


def ranked_open(scores: BookScores, n: int, *, uncertain: bool = False) -> npt.NDArray[np.int64]:
    """The `n` open (not taken, not dismissed) paragraphs, best first or least certain first, ties in
    reading order: ranked on the score array alone, so no reasons are built for paragraphs not shown."""
    rows = np.flatnonzero(~scores.judged)
    keys = np.abs(scores.scores[rows] - 0.5) if uncertain else -scores.scores[rows]
    return rows[np.argsort(keys, kind="stable")[:max(n, 0)]].astype(np.int64)


def strong_unread(scores: BookScores, position_paragraph: int) -> int:
    """Strong suggestions from the reading position on (the paragraph at the top of the view included)."""
    return scores.strong_remaining(position_paragraph - 1)


class ReadingFinder:
    """The project's finder, loaded book by book, re-ranked from the store's verdicts; thread-safe."""

    def __init__(self, project: Project, db: Database) -> None:
        self.project = project
        self.db = db
        self.finder = Finder()
        self.generation = 0
        self._lock = threading.Lock()
        self.unreadable: set[int] = set()  # books whose library files cannot be read
        self._texts: dict[int, tuple[BookText, str]] = {}  # the text each loaded book was scored on
        self._counts: dict[int, tuple[str, int, int, int]] = {}  # book -> (version, generation, after, count)

    # -- loading and syncing (under the lock) ----------------------------------------------------

    def _ensure(self, book_ids: Iterable[int]) -> bool:
        """Load the books not loaded yet or whose text changed; True when any was (re)loaded."""
        loaded = False
        for book_id in book_ids:
            try:
                book_text = load_book_text(self.project, get_book(self.db, book_id))
            except BookNotFoundError:  # missing or damaged files: the book is skipped, not the library
                self.unreadable.add(book_id)
                continue
            self.unreadable.discard(book_id)
            known = self._texts.get(book_id)
            if known is not None and known[0] is book_text and book_id in self.finder.books:
                continue
            version = text_version(book_text.text, list(book_text.paragraphs))
            if known is None or known[1] != version or book_id not in self.finder.books:
                self.finder.add_book(load_book_scores(self.project, self.db, book_id))
                loaded = True
            self._texts[book_id] = (book_text, version)
        return loaded

    def _forget_missing(self) -> bool:
        present = {book.id for book in self.db.books.all()}
        gone = [book_id for book_id in self.finder.books if book_id not in present]
        for book_id in gone:
            del self.finder.books[book_id]
            self._texts.pop(book_id, None)
            self._counts.pop(book_id, None)
        return bool(gone)

    def _sync_verdicts(self) -> bool:
        """Make the learner's verdicts the store's; True when they changed (then it has re-ranked)."""
        wanted = {(b, s, e): (text, valuable) for b, s, e, text, valuable in project_verdicts(self.project, self.db)}
        examples = self.finder.examples
        stale = [key for key, example in examples.items() if key not in wanted or wanted[key][1] != example.valuable]
        for key in stale:
            del examples[key]
        new = [(key[0], key[1], key[2], text, valuable) for key, (text, valuable) in wanted.items()
               if key not in examples]
        self.finder.add_examples(new)
        if stale or new:
            self.finder.retrain()
        return bool(stale or new)

    def _sync_judged(self) -> bool:
        """Mark every paragraph a passage or a dismissal touches; True when any mark changed."""
        spans: dict[int, list[tuple[int, int]]] = {}
        for passage in self.db.passages.all():
            spans.setdefault(passage.book_id, []).append((passage.start, passage.end))
        for dismissal in self.db.dismissals.all():
            spans.setdefault(dismissal.book_id, []).append((dismissal.start, dismissal.end))
        changed = False
        for book_id, scores in self.finder.books.items():
            judged = np.zeros(len(scores), dtype=bool)
            for start, end in spans.get(book_id, ()):
                touched = scores.paragraphs_of_span(start, end)
                judged[touched.start:touched.stop] = True
            if not np.array_equal(judged, scores.judged):
                scores.judged = judged  # a new array: a snapshot taken before keeps its own
                changed = True
        return changed

    def _refresh(self, book_ids: Iterable[int]) -> None:
        changed = self._forget_missing()
        changed = self._ensure(book_ids) or changed
        changed = self._sync_verdicts() or changed
        changed = self._sync_judged() or changed
        if changed:
            self.generation += 1

    def _reading(self, book_id: int) -> BookReading:
        scores = _snapshot(self.finder.book(book_id))
        dismissed = frozenset(p for d in self.db.dismissals.for_book(book_id)
                              for p in scores.paragraphs_of_span(d.start, d.end))
        return BookReading(scores, margin_levels(scores), dismissed, self.generation)

    # -- what the studio asks (each call may take a moment: call it from a worker) ---------------

    def _refresh_one(self, book_id: int) -> BookScores:
        self._refresh([book_id])
        if book_id in self.unreadable:
            load_book_text(self.project, get_book(self.db, book_id))  # raises the sentence saying why
        return self.finder.book(book_id)

    def reading(self, book_id: int) -> BookReading:
        """Book `book_id`'s suggestions after the store's latest verdicts (loading and scoring it if needed)."""
        with self._lock:
            self._refresh_one(book_id)
            return self._reading(book_id)

    def dismiss(self, book_id: int, paragraph: int) -> BookReading:
        """Dismiss a suggestion (stored, learnt as "not valuable"); a dismissed one is restored instead."""
        with self._lock:
            scores = self._refresh_one(book_id)
            start, end = (int(v) for v in scores.spans[paragraph])
            if any(d.start == start and d.end == end for d in self.db.dismissals.for_book(book_id)):
                undismiss(self.db, self.finder, book_id, paragraph)
            else:
                dismiss(self.project, self.db, self.finder, book_id, paragraph)
            self._sync_judged()
            self.generation += 1
            return self._reading(book_id)

    def suggestions(self, n: int, book_id: Optional[int] = None, *, uncertain: bool = False) -> list[Suggestion]:
        """The `n` best open paragraphs of one book (or of every book), or the `n` the learner is least sure of.

        Ranked on the score arrays first, so reasons are built only for the `n` shown.
        """
        with self._lock:
            if book_id is not None:
                books = [self._refresh_one(book_id)]
            else:
                ids = [book.id for book in self.db.books.all()]
                self._refresh(ids)
                books = [self.finder.book(each) for each in ids if each in self.finder.books]
            candidates: list[tuple[float, int, int, BookScores]] = []
            for order, scores in enumerate(books):
                rows = ranked_open(scores, n, uncertain=uncertain)
                keys = np.abs(scores.scores[rows] - 0.5) if uncertain else -scores.scores[rows]
                candidates.extend((float(key), order, int(row), scores) for key, row in zip(keys, rows))
            candidates.sort(key=lambda candidate: candidate[:3])
            return [scores.suggestion(row) for _, _, row, scores in candidates[:n]]

    def strong_unread(self, positions: dict[int, int]) -> dict[int, Optional[int]]:
        """Per book, strong suggestions from its reading paragraph on (None: its text cannot be read).

        Counted on the cached scores of each book's text version; a count is kept until the text,
        the verdicts or the position change.
        """
        counts: dict[int, Optional[int]] = {}
        with self._lock:
            self._refresh(positions)
            for book_id, paragraph in positions.items():
                if book_id in self.unreadable or book_id not in self.finder.books:
                    counts[book_id] = None
                    continue
                version = self._texts[book_id][1]
                cached = self._counts.get(book_id)
                if cached is not None and cached[:3] == (version, self.generation, paragraph):
                    counts[book_id] = cached[3]
                    continue
                count = strong_unread(self.finder.book(book_id), paragraph)
                self._counts[book_id] = (version, self.generation, paragraph, count)
                counts[book_id] = count
        return counts


def accept_suggestion(project: Project, db: Database, scores: BookScores, paragraph: int) -> Passage:
    """Turn a suggested paragraph into a passage judged valuable (its dismissal, if any, undone).

    Valuable because taking a suggestion is the reader's "yes" -- the learner should hear it at
    once; `-` or `=` in the reader changes the verdict like any other.
    """
    start, end = (int(v) for v in scores.spans[paragraph])
    db.dismissals.undismiss(scores.book_id, start, end)
    return create_passage(project, db, scores.book_id, start, end, verdict="valuable")
