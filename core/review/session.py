"""The in-memory review session the Review screen drives.

`ReviewSession` holds an index of the examples by status, template, book, tag, teacher and flag, so a
key press never scans the store: moving to the next card after a decision costs one journal write (the
decision and its example's cached fold together, ~50 us, durable against a process kill when it returns)
and a dictionary lookup.  The log and its fold live in `core.review.log`; this module only keeps the
in-memory mirror of that log that undo and the index need.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from core.review.edits import check_turns, replace_last_answer
from core.review.fatigue import SessionSample, fatigue_warning
from core.review.log import (MAX_COUNTED_SECONDS, VERDICTS, Folded, ReviewError, check_reason,
                             fold_events)
from core.review.notes import add_failure_patterns, has_failure_patterns
from core.review.session_bulk import SessionBulkActions
from core.review.session_types import (FACETS, CardEntry, DecisionResult, Event, FacetValue, ListProgress, Progress,
                                       SessionTally)
from core.settings import Settings
from store.database import Database
from store.examples import ExampleHead
from store.records import Decision, DecisionAction, Example, ExampleStatus

__all__ = ["FACETS", "CardEntry", "DecisionResult", "FacetValue", "ListProgress", "Progress", "ReviewSession"]

class ReviewSession(SessionBulkActions):
    """One reviewer's pass over the project's examples.

    Args:
        db: the project's `store.Database`.
        settings: `core.settings.Settings` (review reasons, careful start).
        session_id: recorded on every decision (a fresh one by default).
        clock: seconds, monotonic; tests pass a fake one.
    """

    def __init__(self, db: Database, settings: Settings, session_id: Optional[str] = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.settings = settings
        self.session_id = session_id or time.strftime("%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:6]
        self.clock = clock
        self.entries: dict[int, CardEntry] = {}
        self.index: dict[str, dict[FacetValue, set[int]]] = {facet: {} for facet in FACETS}
        self.book_titles: dict[int, str] = {}
        self._stacks: dict[int, list[Event]] = {}
        self._undo_log: list[tuple[int, int]] = []  # (example id, decision id) of events, in order
        self._in_force: set[int] = set()  # decision ids not undone
        self._bulks: dict[str, list[tuple[int, int]]] = {}  # bulk key -> its (example id, decision id)s
        # Accept / reject events in force (not undone) made on a card: the careful start counts these, so an
        # undone review is no longer counted (issue 18, bug 9), nor a bulk action.
        self.project_reviews = 0
        self._earlier: dict[str, SessionTally] = {}
        self._tally = SessionTally()
        self.filters: dict[str, FacetValue] = {}
        self.search_text = ""  # the search within the examples ("" = none); its matches are `search_ids`
        self.search_ids: Optional[frozenset[int]] = None
        self.order: list[int] = []
        self._order_set: set[int] = set()
        self._order_pending = 0  # examples of the order still pending (the list's progress bar)
        self.position = 0
        self._shown_at = clock()
        self._load()
        self.apply_filters({})

    # -- loading ----------------------------------------------------------------------------------

    def _load(self) -> None:
        tags = {p.id: tuple(p.tags) for p in self.db.passages}
        self.book_titles = {b.id: b.title for b in self.db.books}
        heads = self.db.examples.heads()
        for head in heads:
            self._index_add(CardEntry(id=head.id, status=head.status, template=head.template_id, book=head.book_id,
                                      tags=tags.get(head.passage_id, ()), teacher=head.teacher,
                                      flags=head.flag_codes, passage_id=head.passage_id))
        for decision in self.db.decisions.in_order():
            bulk = decision.bulk
            self._apply_event(decision.example_id, Event(decision.id, decision.action, decision.reason,
                                                         decision.edited_text, decision.edited_student, bulk))
            if decision.action in VERDICTS and not bulk:
                tally = self._earlier.setdefault(decision.session, SessionTally())
                tally.verdicts.append((decision.action, float(decision.seconds or 0.0)))
        self._repair_cached_folds(heads)

    def _repair_cached_folds(self, heads: Sequence[ExampleHead]) -> None:
        """Rewrite cached statuses that disagree with the log.

        A decision and its cached fold are one journal change, so this only finds databases written by an
        earlier version, which wrote them separately (a kill in between left the cache one step behind).
        """
        repairs: list[tuple[int, Folded]] = []
        for head in heads:
            folded = fold_events(self._stacks.get(head.id, []))
            turns = tuple((t["role"], t["content"]) for t in folded.edited_student)
            if (head.status, head.edited_text, head.edited_student) != (folded.status, folded.edited_text, turns):
                repairs.append((head.id, folded))
        if not repairs:
            return
        with self.db.transaction():
            for example_id, folded in repairs:
                self.db.examples.update(example_id, status=folded.status, edited_text=folded.edited_text,
                                        edited_student=folded.edited_student)
        for example_id, folded in repairs:
            self._set_status(example_id, folded.status)

    def _set_status(self, example_id: int, status: ExampleStatus) -> None:
        entry = self.entries[example_id]
        if entry.status != status:
            if example_id in self._order_set:
                self._order_pending += (status == "pending") - (entry.status == "pending")
            self.index["status"].get(entry.status, set()).discard(example_id)
            self.index["status"].setdefault(status, set()).add(example_id)
            entry.status = status

    def _index_add(self, entry: CardEntry) -> None:
        self.entries[entry.id] = entry
        for facet, values in self._facet_values(entry):
            for value in values:
                self.index[facet].setdefault(value, set()).add(entry.id)

    @staticmethod
    def _facet_values(entry: CardEntry) -> list[tuple[str, Iterable[FacetValue]]]:
        return [("status", (entry.status,)), ("template", (entry.template,)), ("book", (entry.book,)),
                ("tag", entry.tags), ("teacher", (entry.teacher,)),
                ("flag", entry.flags + (("flagged",) if entry.flags else ()))]

    def _apply_event(self, example_id: int, event: Event) -> None:
        stack = self._stacks.setdefault(example_id, [])
        if event.action == "undo":
            if stack:
                undone = stack.pop()
                self._in_force.discard(undone.decision_id)
                self.project_reviews -= undone.action in VERDICTS and not undone.bulk
            return
        stack.append(event)
        self._in_force.add(event.decision_id)
        self._undo_log.append((example_id, event.decision_id))
        self.project_reviews += event.action in VERDICTS and not event.bulk
        if event.bulk:
            self._bulks.setdefault(event.bulk, []).append((example_id, event.decision_id))

    def add_example(self, example: Example) -> None:
        """Index an example that arrived while the session is open (it joins the end of the order)."""
        passage = self.db.passages.find(example.passage_id) if example.passage_id else None
        self._index_add(CardEntry(example.id, example.status, example.template_id, example.book_id,
                                  tuple(passage.tags) if passage else (), example.teacher,
                                  tuple(sorted({str(f.get("code", "")) for f in example.flags})), example.passage_id))
        if self._matches(example.id):
            self.order.append(example.id)
            self._order_set.add(example.id)
            self._order_pending += example.status == "pending"

    def update_flags(self, example_id: int, flags: Sequence[Mapping[str, Any]]) -> None:
        """Keep the flag facet current after flags were recomputed."""
        entry = self.entries.get(example_id)
        if entry is None:
            return
        for value in entry.flags + (("flagged",) if entry.flags else ()):
            self.index["flag"].get(value, set()).discard(example_id)
        entry.flags = tuple(sorted({str(f.get("code", "")) for f in flags}))
        for value in entry.flags + (("flagged",) if entry.flags else ()):
            self.index["flag"].setdefault(value, set()).add(example_id)

    # -- filters and navigation -------------------------------------------------------------------------

    def _matches(self, example_id: int, filters: Optional[Mapping[str, FacetValue]] = None) -> bool:
        filters = self.filters if filters is None else filters
        if self.search_ids is not None and example_id not in self.search_ids:
            return False
        return all(example_id in self.index[facet].get(value, ()) for facet, value in filters.items())

    def _ids_for(self, filters: Mapping[str, FacetValue], searched: bool = True) -> set[int]:
        """The examples matching `filters` (and the search, when `searched` and one is active)."""
        sets = sorted((self.index[f].get(v, set()) for f, v in filters.items()), key=len)
        if searched and self.search_ids is not None:
            sets.insert(0, set(self.search_ids))
        if not sets:
            return set(self.entries)
        result = set(sets[0])
        for other in sets[1:]:
            result &= other
        return result

    def listed(self) -> set[int]:
        """The examples that match the filters and the search now (the order is a snapshot of them)."""
        return self._ids_for(self.filters)

    def set_search(self, text: str, ids: Optional[Iterable[int]]) -> int:
        """Show only `ids` (the matches of the search `text`, found by `core.review.search`); None ends it."""
        self.search_text, self.search_ids = (text, frozenset(ids)) if ids is not None else ("", None)
        return self.apply_filters(self.filters)

    def apply_filters(self, filters: Mapping[str, Optional[FacetValue]]) -> int:
        """Show only examples matching every facet=value given (e.g. {"status": "pending", "tag": "grief"}).

        The order is a snapshot (by id) so that previous/next stay predictable while statuses change.
        Returns how many match.
        """
        for facet in filters:
            if facet not in FACETS:
                raise ReviewError(f"Unknown filter {facet!r}; use one of: {', '.join(FACETS)}.")
        self.filters = {k: v for k, v in filters.items() if v is not None and v != ""}
        current = self.current_id()
        self._set_order(sorted(self._ids_for(self.filters)))
        self.position = self.order.index(current) if current in self._order_set else 0
        self._shown_at = self.clock()
        return len(self.order)

    def _set_order(self, order: list[int]) -> None:
        self.order = order
        self._order_set = set(order)
        self._order_pending = len(self._order_set & self.index["status"].get("pending", set()))

    def resume_at(self, example_id: Optional[int]) -> Optional[int]:
        """Show `example_id` if the list holds it, else the first example of the list after it (by id).

        Reopening Review (after a generation, or a new studio) must not bring back a card the filters no
        longer show, such as the last one accepted in a "status=pending" list (issue 18, bug 9).
        """
        if example_id is not None and self.order:
            later = [i for i, candidate in enumerate(self.order) if candidate >= example_id]
            self.position = later[0] if later else len(self.order) - 1
        return self._moved()

    def list_progress(self) -> ListProgress:
        """Of the list on screen, how many examples are no longer pending (the progress bar)."""
        return ListProgress(len(self.order) - self._order_pending, len(self.order))

    def set_filter(self, facet: str, value: Optional[FacetValue]) -> int:
        filters: dict[str, Optional[FacetValue]] = dict(self.filters)
        if value in (None, ""):
            filters.pop(facet, None)
        else:
            filters[facet] = value
        return self.apply_filters(filters)

    def counts(self, facet: str, within_filters: bool = False) -> dict[FacetValue, int]:
        """How many examples have each value of `facet` (within the other active filters if asked)."""
        if facet not in FACETS:
            raise ReviewError(f"Unknown filter {facet!r}; use one of: {', '.join(FACETS)}.")
        if not within_filters:
            return {value: len(ids) for value, ids in self.index[facet].items() if ids}
        others = self._ids_for({f: v for f, v in self.filters.items() if f != facet})
        return {value: n for value, ids in self.index[facet].items() if (n := len(ids & others))}

    def filter_counts(self) -> dict[str, dict[FacetValue, int]]:
        """Per facet, how many examples each value would show combined with the other active filters."""
        return {facet: self.counts(facet, within_filters=True) for facet in FACETS}

    def current_id(self) -> Optional[int]:
        return self.order[self.position] if 0 <= self.position < len(self.order) else None

    def current(self) -> Optional[Example]:
        example_id = self.current_id()
        return self.db.examples.get(example_id) if example_id is not None else None

    def _moved(self) -> Optional[int]:
        self._shown_at = self.clock()
        return self.current_id()

    def next(self) -> Optional[int]:
        if self.position < len(self.order) - 1:
            self.position += 1
        return self._moved()

    def previous(self) -> Optional[int]:
        if self.position > 0:
            self.position -= 1
        return self._moved()

    def goto(self, example_id: int) -> Optional[int]:
        """Show this example; it joins the order when the filters hid it."""
        if example_id not in self.entries:
            raise ReviewError(f"No example with id {example_id}.")
        if example_id not in self._order_set:
            self._set_order(sorted([*self.order, example_id]))
        self.position = self.order.index(example_id)
        return self._moved()

    def next_flagged(self) -> Optional[int]:
        """The next flagged example after the current one (wrapping around), or None when there is none."""
        flagged = self.index["flag"].get("flagged", set())
        n = len(self.order)
        for step in range(1, n + 1):
            candidate = self.order[(self.position + step) % n]
            if candidate in flagged:
                self.position = (self.position + step) % n
                return self._moved()
        return None

    def seconds_on_card(self) -> float:
        return max(0.0, self.clock() - self._shown_at)

    # -- decisions --------------------------------------------------------------------------------------

    @property
    def careful(self) -> bool:
        """The project's first `careful_reviews` reviews go slower, so the reviewer learns the teacher."""
        return self.project_reviews < self.settings.review.careful_reviews

    def _write(self, example_id: int, action: DecisionAction, reason: str = "", edited_text: str = "",
               edited_student: Optional[list[dict[str, str]]] = None) -> DecisionResult:
        seconds = round(self.seconds_on_card(), 3)
        self._shown_at = self.clock()  # the next decision's time starts now, even on the same card
        result = self._write_many([(example_id, action, reason, edited_text, edited_student or [])], seconds)[0]
        if action in VERDICTS:
            self._tally.verdicts.append((action, min(seconds, MAX_COUNTED_SECONDS)))
        return result

    def _write_many(self, items: Sequence[tuple[int, DecisionAction, str, str, list[dict[str, str]]]],
                    seconds: float = 0.0, bulk: str = "") -> list[DecisionResult]:
        """Record (example, action, reason, edited text, edited turns) events and their cached folds as ONE
        journal change (all of them or, if anything raises or the process dies, none), then mirror them."""
        stacks: dict[int, list[Any]] = {}
        written: list[tuple[Decision, Folded]] = []
        with self.db.transaction():
            for example_id, action, reason, edited_text, turns in items:
                decision = Decision(example_id=example_id, action=action, reason=reason, edited_text=edited_text,
                                    edited_student=turns, seconds=seconds, session=self.session_id,
                                    bulk=bulk)
                stack = stacks.setdefault(example_id, list(self._stacks.get(example_id, [])))
                stack.append(decision)
                folded = fold_events(stack)
                self.db.decisions.record(decision, folded.status, folded.edited_text, folded.edited_student)
                written.append((decision, folded))
        results = []
        for decision, folded in written:  # only once the journal line is durable
            self._apply_event(decision.example_id, Event(decision.id, decision.action, decision.reason,
                                                         decision.edited_text, [dict(t) for t in decision.edited_student],
                                                         bulk))
            self._set_status(decision.example_id, folded.status)
            results.append(DecisionResult(True, "", decision.example_id, folded.status, decision))
        return results

    def _target(self, example_id: Optional[int]) -> int:
        target = self.current_id() if example_id is None else example_id
        if target is None or target not in self.entries:
            raise ReviewError("There is no example to decide on; change the filters.")
        return target

    def accept(self, example_id: Optional[int] = None, advance: bool = True) -> DecisionResult:
        """Accept (and move to the next card).  Refused in careful mode before the pause has passed."""
        target = self._target(example_id)
        if self.careful:
            pause = self.settings.review.careful_pause_s
            if self.seconds_on_card() < pause:
                return DecisionResult(False, f"Careful start ({self.project_reviews + 1} of "
                                             f"{self.settings.review.careful_reviews}): read the card for at "
                                             f"least {pause:g} s before accepting.", target,
                                      self.entries[target].status)
        result = self._write(target, "accept")
        if advance:
            self.next()
        return result

    def reject(self, reason: str, example_id: Optional[int] = None, advance: bool = True) -> DecisionResult:
        target = self._target(example_id)
        reason = check_reason(reason, self.settings.review.reject_reasons)
        result = self._write(target, "reject", reason=reason)
        if advance:
            self.next()
        return result

    def edit(self, text: str, example_id: Optional[int] = None) -> DecisionResult:
        """Record the reviewer's version of the last answer; the teacher's original stays in the example.

        For an example with a student conversation this is an edit of its turns with the last answer
        replaced (see `edit_student`); for an older one without, an edit of the teacher's answer.
        """
        target = self._target(example_id)
        if not text.strip():
            return DecisionResult(False, "The edited text is empty: nothing was saved.", target,
                                  self.entries[target].status)
        example = self.db.examples.get(target)
        if example.has_student:
            return self.edit_student(replace_last_answer(example.final_student, text.strip()), target)
        if text == example.final_text:
            return DecisionResult(False, "No change to save.", target, self.entries[target].status)
        return self._write(target, "edit", edited_text=text)

    def edit_student(self, turns: Any, example_id: Optional[int] = None) -> DecisionResult:
        """Record the reviewer's version of every turn of the student conversation.

        The turns are checked with `core.student.validate_conversation` for the example's shape; a broken
        conversation is refused (`ok` False, the reason in `message`) and nothing is written, so the
        screen keeps the reviewer's text in the editor.  The teacher's original stays in `student`.
        """
        target = self._target(example_id)
        example = self.db.examples.get(target)
        try:
            clean = check_turns(example, turns)
        except ReviewError as exc:
            return DecisionResult(False, str(exc), target, self.entries[target].status)
        if clean == example.final_student:
            return DecisionResult(False, "No change to save.", target, self.entries[target].status)
        return self._write(target, "edit", edited_student=clean)

    def skip(self, example_id: Optional[int] = None, advance: bool = True) -> DecisionResult:
        result = self._write(self._target(example_id), "skip")
        if advance:
            self.next()
        return result

    def undo(self, example_id: Optional[int] = None, show: bool = True) -> DecisionResult:
        """Undo the latest decision still in force: of `example_id`, or of the whole project when None.

        Unlimited: repeated calls walk back through every decision ever made, across sessions.  The
        project-wide undo reverts a bulk action whole (all its decisions still in force, one journal
        change).  The undone example becomes the current card when `show`.
        """
        from_log = example_id is None
        if example_id is None:
            while self._undo_log:
                candidate, decision_id = self._undo_log[-1]
                if decision_id in self._in_force:
                    example_id = candidate
                    break
                self._undo_log.pop()
            if example_id is None:
                return DecisionResult(False, "Nothing to undo.")
        elif not self._stacks.get(example_id):
            entry = self.entries.get(example_id)
            return DecisionResult(False, f"Example {example_id} has no decision to undo.", example_id,
                                  entry.status if entry is not None else "")
        undone = self._stacks[example_id][-1]
        members = [m for m, d in self._bulks.get(undone.bulk, ()) if d in self._in_force] if undone.bulk else []
        if len(members) > 1 and from_log:  # one undo reverts the whole bulk action, in one journal change
            results = self._write_many([(m, "undo", "", "", []) for m in members])
            result = DecisionResult(True, f"Undid the bulk {undone.action} of {len(results):,} examples.",
                                    example_id, results[-1].status, results[-1].decision, len(results))
            self.apply_filters(self.filters)
        else:
            result = self._write(example_id, "undo")
            result.message = f"Undid {undone.action} of example {example_id}."
        if show:
            self.goto(example_id)
        return result

    def next_undo_size(self) -> int:
        """How many decisions the next project-wide `undo()` writes (a bulk action's size, else 1; 0: none)."""
        for example_id, decision_id in reversed(self._undo_log):
            if decision_id in self._in_force:
                bulk = self._stacks[example_id][-1].bulk
                return sum(1 for _e, d in self._bulks.get(bulk, ()) if d in self._in_force) if bulk else 1
        return 0

    def events_in_force(self, example_id: int) -> list[tuple[str, str]]:
        """(action, reason) of the example's events still in force, oldest first (for the card)."""
        return [(e.action, e.reason) for e in self._stacks.get(example_id, [])]

    # -- progress, careful start, fatigue ---------------------------------------------------------------

    def progress(self) -> Progress:
        status = self.index["status"]
        done = len(status.get("accepted", ())) + len(status.get("rejected", ()))
        total = len(self.entries)
        pending = total - done
        seconds = sum(s for _a, s in self._tally.verdicts)
        rate = 3600.0 * len(self._tally.verdicts) / seconds if seconds > 0 else 0.0
        eta = pending / rate * 3600.0 if rate > 0 else None
        return Progress(done, total, pending, rate, eta)

    @property
    def needs_failure_patterns(self) -> bool:
        """True once the careful start is over and the reviewer has not yet named the teacher's failures."""
        limit = self.settings.review.careful_reviews
        if limit <= 0 or self.project_reviews < limit:
            return False
        return not has_failure_patterns(self.db)

    def record_failure_patterns(self, text: str) -> None:
        """Store what the reviewer learned in the careful start (shown with the analytics)."""
        add_failure_patterns(self.db, text, self.project_reviews, self.session_id)

    def fatigue(self) -> Optional[str]:
        """A warning sentence when this session drifts towards faster, more lenient review, else None."""
        earlier = [SessionSample.from_verdicts(t.verdicts) for s, t in self._earlier.items() if s != self.session_id]
        current = SessionSample.from_verdicts(self._tally.verdicts[-30:])
        return fatigue_warning(earlier, current)

