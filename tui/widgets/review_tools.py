"""The Review screen's tools beyond deciding one card: search, bulk decisions, guidelines, the word diff,
clusters, failure patterns, and remembering the list and place between studio sessions (issue 18).

A mixin of `tui.screens.review.ReviewScreen` (which holds the key path and the card), so that each module
stays one responsibility and under the size limit.  None of this runs on the key -> next card path:
searches run in a thread worker, the place is saved by a slow interval timer, bulk decisions and
guidelines only when asked for.

The place (`ReviewPlace`) lives in the project's UI state under the screen's namespace: `saved`, one
`filter.<facet>` key per active filter, `search` and `example` (the card shown), all scalars.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from textual import work
from textual.message import Message

from core.errors import UserError
from tui.widgets.review_bulk import BulkConfirmModal
from tui.widgets.review_cluster import ClusterChoice, ReviewClusterModal
from tui.widgets.review_guidelines import ReviewGuidelinesModal, guidelines_text
from tui.widgets.review_reasons import RejectReasonModal
from tui.widgets.review_search import ReviewSearchModal

if TYPE_CHECKING:
    from core.review import BulkPlan, ReviewSession, SearchIndex
    from core.ui_state import ScreenState

FACET_KEYS = ("status", "template", "book", "tag", "teacher", "flag")  # core.review.FACETS, not imported here
SAVE_EVERY_S = 3.0  # the place is written at most this often (and on leaving the screen and at exit)
IN_WORKER_FROM = 200  # decisions from which a bulk action (or its undo) runs in a thread (10,000 take ~3 s)


@dataclass(frozen=True)
class ReviewPlace:
    """The list (filters and search) and the card the reviewer was on."""

    filters: dict[str, Any] = field(default_factory=dict)
    example: Optional[int] = None
    search: str = ""
    saved: bool = False  # False: nothing remembered yet (the screen then shows what is pending)

    @classmethod
    def read(cls, state: "ScreenState") -> "ReviewPlace":
        if not state.get_bool("saved", False):
            return cls()
        filters: dict[str, Any] = {}
        for facet in FACET_KEYS:
            value = state.get_int(f"filter.{facet}") if facet == "book" else state.get_str(f"filter.{facet}")
            if value is not None and value != "":
                filters[facet] = value
        return cls(filters, state.get_int("example"), state.get_str("search", "") or "", True)

    def write(self, state: "ScreenState") -> None:
        state.set("saved", True)
        for facet in FACET_KEYS:
            value = self.filters.get(facet)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
                state.set(f"filter.{facet}", value)
            else:
                state.forget(f"filter.{facet}")
        state.set("search", self.search[:200])
        if self.example is None:
            state.forget("example")
        else:
            state.set("example", self.example)

    @classmethod
    def of(cls, session: "ReviewSession") -> "ReviewPlace":
        return cls(dict(session.filters), session.current_id(), session.search_text, True)


def failure_patterns_question(session: "ReviewSession") -> str:
    """The prompt's question: it says the careful start is over only when it is (issue 18, bug 9)."""
    example = "(e.g. opens with the weather; explains the feeling; quotes the book)"
    if session.careful:
        limit = session.settings.review.careful_reviews
        return (f"Which failure patterns of the teacher have you seen so far (review {session.project_reviews} "
                f"of {limit} of the careful start)? {example}")
    return f"You have finished the careful start. Which failure patterns of the teacher did you see? {example}"


class ReviewSearchDone(Message):
    """The worker searched: the query as shown and the matching ids (None: the search ended)."""

    def __init__(self, text: str, ids: Optional[set[int]], index: "SearchIndex") -> None:
        super().__init__()
        self.text = text
        self.ids = ids
        self.index = index


class ReviewBulkDone(Message):
    """The worker wrote a bulk action or its undo."""

    def __init__(self, result: Any) -> None:
        super().__init__()
        self.result = result


class ReviewTools:
    """Actions of the Review screen besides the key path (see the module docstring).

    Uses what `ReviewScreen` (a `StudioScreen`) has: `session`, `card`, `cards`, `studio`, `ui_state`,
    `show_card`, `notify`, `app`, `post_message`.
    """

    session: Optional["ReviewSession"]
    search_index: Optional["SearchIndex"] = None
    _saved_place: Optional[ReviewPlace] = None
    _showing_diff: bool = False
    _showing_original: bool = False
    _verdicts: int = 0
    bulk_running: bool = False  # a large bulk action (or undo) is being written: the review keys wait

    # ---- the place between sessions ----------------------------------------------------------------

    def save_place(self, force: bool = False) -> None:
        """Remember the list and the card in the UI state (written only when it changed)."""
        session = self.session
        if session is None or getattr(self, "is_loading", True) or self.bulk_running:
            return  # (a bulk worker is changing the list: its end saves the place)
        place = ReviewPlace.of(session)
        if place == self._saved_place and not force:
            return
        place.write(self.ui_state)
        self.studio.save_ui_state()
        self._saved_place = place

    def save_state(self) -> None:
        self.save_place()

    def on_screen_suspend(self) -> None:
        self.save_place()

    # ---- search ---------------------------------------------------------------------------------

    def action_search(self) -> None:
        """Search within the examples' text (within the filters)"""
        session = self.session
        assert session is not None

        def chosen(text: Optional[str]) -> None:
            if text is not None and self.session is not None:
                self.notify("Searching\u2026", title="Search", timeout=2, markup=False)
                self._search(text)

        self.app.push_screen(ReviewSearchModal(session.search_text), chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-search")
    def _search(self, text: str) -> None:
        from core.review import SearchIndex, parse_query

        index = self.search_index or SearchIndex(self.studio.db.examples.all())
        query = parse_query(text)
        ids = None if query.empty else index.search(query)
        self.post_message(ReviewSearchDone(query.text, ids, index))

    def on_review_search_done(self, message: ReviewSearchDone) -> None:
        session = self.session
        if session is None:
            return
        self.search_index = message.index
        shown = session.set_search(message.text, message.ids)
        if message.ids is None:
            self.notify("Search ended: the list shows every example the filters match.", title="Search",
                        timeout=3, markup=False)
        else:
            self.notify(f"{len(message.ids):,} examples contain \u201c{message.text}\u201d; {shown:,} of them "
                        f"match the filters.", title="Search", timeout=4, markup=False)
        self.show_card()
        self.save_place()

    def refresh_search_entry(self, example_id: int) -> None:
        """After an edit or its undo: the search sees the text the card now shows."""
        if self.search_index is not None:
            self.search_index.update(self.studio.db.examples.find(example_id))

    # ---- bulk decisions ----------------------------------------------------------------------------

    def action_bulk_accept(self) -> None:
        """Accept every example of the list shown (after a confirmation that counts them)"""
        assert self.session is not None
        self._confirm_bulk(self.session.plan_bulk("accept"), "Accept all")

    def action_bulk_reject(self) -> None:
        """Reject every example of the list shown, with one reason (after a confirmation that counts them)"""
        session = self.session
        assert session is not None
        reasons = session.settings.review.reject_reasons
        first = session.plan_bulk("reject", reasons[0]) if reasons else None
        if first is None or (first.refused and not first.ids):
            self.notify(first.refused if first else "There are no reject reasons in the settings.",
                        title="Bulk reject", markup=False)
            return

        def chosen(reason: Optional[str]) -> None:
            if reason is not None and self.session is not None:
                self._confirm_bulk(self.session.plan_bulk("reject", reason), "Reject all")

        self.app.push_screen(RejectReasonModal(
            reasons, 0, title=f"Reject all {len(first.ids):,} examples of this list because\u2026"), chosen)

    def _confirm_bulk(self, plan: "BulkPlan", yes: str) -> None:
        session = self.session
        assert session is not None
        if plan.refused:
            self.notify(plan.refused, title="Bulk", severity="warning", markup=False)
            return

        def answered(yes_: Optional[bool]) -> None:
            if not yes_ or self.session is None:
                return
            self.run_bulk(lambda: self.session.bulk(plan) if self.session is not None else None, len(plan.ids))

        self.app.push_screen(BulkConfirmModal(plan.question(session.book_titles), yes_label=yes),
                             answered)

    def run_bulk(self, call: Any, size: int) -> None:
        """Write a bulk action (or its undo): inline when small, else in a thread while the keys wait."""
        if size < IN_WORKER_FROM:
            try:
                result = call()
            except UserError as exc:
                self.studio.show_error(exc)
                return
            self.on_review_bulk_done(ReviewBulkDone(result))
            return
        self.bulk_running = True
        self.refresh_bindings()
        self.notify(f"Writing {size:,} decisions\u2026", title="Bulk", timeout=3, markup=False)
        self._bulk_worker(call)

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-bulk")
    def _bulk_worker(self, call: Any) -> None:
        try:
            result = call()
        except UserError as exc:
            result = exc
        self.post_message(ReviewBulkDone(result))

    def on_review_bulk_done(self, message: ReviewBulkDone) -> None:
        self.bulk_running = False
        self.refresh_bindings()
        result = message.result
        if isinstance(result, UserError):
            self.studio.show_error(result)
        elif result is not None:
            self.notify(result.message, title="Undo" if result.decision and result.decision.action == "undo"
                        else "Bulk", markup=False)
        self._showing_original = self._showing_diff = False
        self.show_card()
        self.save_place()

    # ---- guidelines, word diff ----------------------------------------------------------------------

    def action_guidelines(self) -> None:
        """Show the template's AVOID list and the teacher's failure patterns reviewers named"""
        view = self.card.view
        template = view.template if view is not None else ""
        project, db = self.studio.project, self.studio.db
        self.app.push_screen(ReviewGuidelinesModal(
            lambda: guidelines_text(project, db, template)))

    def action_toggle_diff(self) -> None:
        """Show the edit as a word diff against the teacher's original (again: the card)"""
        view = self.card.view
        if view is None or not view.edited:
            self.notify("This example has not been edited: there is no diff to show.",
                        markup=False)
            return
        self._showing_diff = not view.showing_diff
        self._showing_original = False
        self.show_card()

    # ---- clusters, failure patterns ------------------------------------------------------------------

    def action_cluster(self) -> None:
        session = self.session
        assert session is not None
        current = session.current_id()
        if current is None:
            return
        members = session.cluster_of(current)
        if len(members) < 2:
            self.notify(f"Example #{current} has no near-duplicates.", title="Cluster",
                        markup=False)
            return
        shown = self.cards.cluster_members(session, members)

        def chosen(choice: Optional[ClusterChoice]) -> None:
            if choice is None or self.session is None:
                return
            action, keep = choice
            if action == "keep" and keep is not None:
                results = self.session.keep_best(keep, members)
                self.notify(f"Kept #{keep}; rejected {sum(1 for r in results if r.example_id != keep)} "
                            f"near-duplicate(s). u undoes them one by one.", title="Cluster",
                            markup=False)
            else:
                results = self.session.reject_cluster(members)
                self.notify(f"Rejected {len(results)} example(s) of the cluster as near-duplicates.",
                            title="Cluster", markup=False)
            self._verdicts += len(results)
            self.show_card()

        self.app.push_screen(ReviewClusterModal(shown, current), chosen)

    def action_failure_patterns(self) -> None:
        from tui.widgets.modals import PromptModal

        session = self.session
        assert session is not None

        def answered(text: Optional[str]) -> None:
            if text and self.session is not None:
                try:
                    self.session.record_failure_patterns(text)
                except UserError as exc:
                    self.studio.show_error(exc)
                    return
                self.notify("Noted: the analytics (t) and the guidelines (g) list the failure patterns you named.",
                            title="Failure patterns", markup=False)
            elif self.session is not None and self.session.needs_failure_patterns:
                self.notify("You can name the teacher's failure patterns later with p.",
                            markup=False)

        self.app.push_screen(PromptModal(
            failure_patterns_question(session), placeholder="the teacher's failure patterns, in a sentence",
            validate=lambda value: None if value.strip() else "Write at least one pattern, or press Escape."),
            answered)
