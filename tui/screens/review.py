"""The Review screen: thousands of examples, one at a time, decided with single keys.

The screen renders and dispatches; everything else is `core.review.ReviewSession` (the append-only
decision log, the in-memory index of examples by status / template / book / tag / teacher / flag, undo,
careful start, fatigue, clusters).  The session is built in a thread worker when the screen mounts (it
reads the whole examples table once) while the screen says it is loading; after that a key press is a
journal write (~50 us, durable when it returns) and a dictionary lookup, done inline, so the next card
is painted in the same frame.  The analytics fold the whole log and run in a worker of their own.
Search, bulk decisions, guidelines, the word diff and the place kept between studio sessions are
`tui.widgets.review_tools.ReviewTools` (a mixin), all off the key -> next card path.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Optional

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from core.errors import UserError
from tui.screens.base import StudioScreen
from tui.screens.review_cards import CardSource
from tui.widgets.review_analytics import ReviewAnalyticsModal, analytics_text
from tui.widgets.review_card import CardView, ReviewCard
from tui.widgets.review_cluster import ReviewClusterModal
from tui.widgets.review_filters import CLEAR_ALL, FilterChoice, ReviewFilterModal, ReviewFiltersBar
from tui.widgets.review_guidelines import ReviewGuidelinesModal
from tui.widgets.review_passage import ReviewPassagePane
from tui.widgets.review_reasons import RejectReasonModal
from tui.widgets.review_search import ReviewSearchModal
from tui.widgets.review_tools import SAVE_EVERY_S, ReviewPlace, ReviewTools

if TYPE_CHECKING:
    from core.review import DecisionResult, ReviewSession

LOADING = "Loading the examples to review\u2026"
EMPTY_PROJECT = ("No examples to review yet: highlight and tag passages in the Reader (press 2), then "
                 "generate examples from them on the Queue screen (press 3); they appear here as they arrive.")
NOTHING_MATCHES = "No example matches these filters: press / to change them (x in the picker clears them all)."
FATIGUE_EVERY = 10  # verdicts between fatigue checks (the check reads every earlier session's tally)

# Actions that need a card on screen, and those still allowed while the in-place editor is open.
CARD_ACTIONS = {"accept", "reject", "edit", "skip", "next", "previous", "next_flagged", "cluster",
                "toggle_original", "toggle_diff", "scroll", "bulk_accept", "bulk_reject"}
EDITING_ACTIONS = {"save_edit", "cancel_edit"}
REVIEW_ACTIONS = CARD_ACTIONS | EDITING_ACTIONS | {"undo", "filters", "analytics", "failure_patterns", "search",
                                                   "guidelines"}


class ReviewScreen(ReviewTools, StudioScreen):
    """Keyboard review of generated examples."""

    SCREEN_ID = "review"
    AUTO_FOCUS = ""  # nothing takes the keys, the screen's bindings get them all (None: the app's "*")
    BINDING_SOURCES = (RejectReasonModal, ReviewFilterModal, ReviewClusterModal, ReviewAnalyticsModal,
                       ReviewSearchModal, ReviewGuidelinesModal)
    BINDINGS = [
        # Letters only: the digits belong to the app's screen switching (and to the reject reasons).
        Binding("a", "accept", "Accept", id="review.accept"),
        Binding("r", "reject", "Reject", id="review.reject"),
        Binding("e", "edit", "Edit", id="review.edit"),
        Binding("u", "undo", "Undo", id="review.undo"),
        Binding("s", "skip", "Skip", id="review.skip"),
        Binding("j,down", "next", "Next", id="review.next"),
        Binding("k,up", "previous", "Previous", id="review.previous"),
        Binding("f", "next_flagged", "Next flagged", id="review.next_flagged"),
        Binding("slash,F", "filters", "Filters", id="review.filters"),
        Binding("c", "cluster", "Cluster", id="review.cluster"),
        Binding("t", "analytics", "Analytics", id="review.analytics"),
        Binding("o", "toggle_original", "Teacher's original", id="review.original", show=False),
        Binding("p", "failure_patterns", "Name failure patterns", id="review.failure_patterns", show=False),
        Binding("d", "toggle_diff", "Diff", id="review.diff", show=False,
                tooltip="Show an edited example as a word diff against the teacher's original"),
        Binding("ctrl+f", "search", "Search", id="review.search",
                tooltip="Search within the examples' text, within the filters"),
        Binding("A", "bulk_accept", "Accept all", id="review.bulk_accept", show=False,
                tooltip="Accept every example of the list shown, after a confirmation"),
        Binding("R", "bulk_reject", "Reject all", id="review.bulk_reject", show=False,
                tooltip="Reject every example of the list shown with one reason, after a confirmation"),
        Binding("g", "guidelines", "Guidelines", id="review.guidelines",
                tooltip="Show the template's AVOID list and the teacher's failure patterns"),
        Binding("pagedown", "scroll(1)", "Scroll texts down", id="review.scroll_down", show=False),
        Binding("pageup", "scroll(-1)", "Scroll texts up", id="review.scroll_up", show=False),
        Binding("ctrl+s", "save_edit", "Save edit", id="review.save_edit"),
        Binding("escape", "cancel_edit", "Abandon edit", id="review.cancel_edit"),
    ]
    DEFAULT_CSS = """
    ReviewScreen #review-loading, ReviewScreen #review-empty { padding: 2 4; height: auto; }
    ReviewScreen #review-empty { text-style: bold; }
    ReviewScreen #review-main { height: 1fr; }
    ReviewScreen #review-progress { height: 1; padding: 0 1; background: $panel; }
    ReviewScreen #review-banner { height: auto; padding: 0 1; background: $warning 30%; display: none; }
    ReviewScreen #review-banner.-shown { display: block; }
    ReviewScreen #review-none { padding: 1 2; display: none; }
    ReviewScreen #review-body { height: 1fr; }
    """

    class SessionLoaded(Message):
        """The worker built the session (it read every example and decision once)."""

        def __init__(self, session: "ReviewSession", seconds: float) -> None:
            super().__init__()
            self.session = session
            self.seconds = seconds

    def __init__(self) -> None:
        super().__init__()
        self.session: Optional["ReviewSession"] = None
        self.is_loading = True
        self.load_seconds = 0.0
        self.cards: Optional[CardSource] = None
        self._showing_original = self._showing_diff = False
        self._verdicts = 0
        self._asked_failure_patterns = False
        self._fatigue_warning: Optional[str] = None
        self._restore = ReviewPlace()
        self._editing_id: Optional[int] = None
        self._progress_plain = ""

    # ---- layout and loading -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static(LOADING, id="review-loading", markup=False)
        yield Static(EMPTY_PROJECT, id="review-empty", markup=False)
        with Vertical(id="review-main"):
            yield Static("", id="review-progress")
            yield ReviewFiltersBar("", id="review-filters")
            yield Static("", id="review-banner", markup=False)
            yield Static(NOTHING_MATCHES, id="review-none", markup=False)
            with Horizontal(id="review-body"):
                yield ReviewCard(id="review-card")
                yield ReviewPassagePane(id="review-passage")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self._restore = ReviewPlace.read(self.ui_state)  # the list and card of the last studio session
        self.set_interval(SAVE_EVERY_S, self.save_place)  # off the key path: a move is never a file write
        self._show_state()
        self._start_loading()

    def on_screen_resume(self) -> None:
        # Examples generated (or books deleted) while the reviewer was elsewhere: rebuild the index.
        session = self.session
        if session is not None and not self.is_loading and len(self.studio.db.examples) != len(session.entries):
            self._restore = ReviewPlace.of(session)
            self.search_index = None  # new examples: the next search reads them
            self._start_loading()

    def _start_loading(self) -> None:
        self.is_loading = True
        self._show_state()
        self.refresh_bindings()
        self._load_session()

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-load")
    def _load_session(self) -> None:
        from core.review import ReviewSession

        started = time.perf_counter()
        session = ReviewSession(self.studio.db, self.studio.settings)
        search = self._restore.search
        if search:  # a search kept from before: find its matches here, off the UI thread
            from core.review import SearchIndex, parse_query

            self.search_index = SearchIndex(self.studio.db.examples.all())
            query = parse_query(search)
            if not query.empty:
                session.set_search(query.text, self.search_index.search(query))
        self.post_message(self.SessionLoaded(session, time.perf_counter() - started))

    def on_review_screen_session_loaded(self, message: SessionLoaded) -> None:
        session = message.session
        self.session, self.is_loading, self.load_seconds = session, False, message.seconds
        self.cards = CardSource(self.studio.db, self.studio.project)
        place, self._restore = self._restore, ReviewPlace()
        if place.saved:
            session.apply_filters(place.filters)
        elif session.index["status"].get("pending"):
            session.apply_filters({"status": "pending"})  # a reviewer's work is what is left to do
        # The card the reviewer left, or the next one of the list when the filters no longer show it (an
        # accepted card in a "pending" list: issue 18, bug 9); its time starts now that it is on screen.
        session.resume_at(place.example)
        self._saved_place = place if place.saved else None
        self._show_state()
        self.refresh_bindings()
        if session.entries:
            self.show_card()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "review-load" and event.state is WorkerState.ERROR:
            self.query_one("#review-loading", Static).update(
                f"The examples could not be loaded ({event.worker.error}). Switch screens and back to try again.")
            self.is_loading = False
        super().on_worker_state_changed(event)

    def _show_state(self) -> None:
        loaded = self.session is not None and not self.is_loading
        empty = loaded and not self.session.entries  # type: ignore[union-attr]
        self.query_one("#review-loading").display = self.is_loading
        self.query_one("#review-empty").display = empty
        self.query_one("#review-main").display = loaded and not empty

    # ---- bindings ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in REVIEW_ACTIONS:
            return True
        session = self.session
        if session is None or self.is_loading or not session.entries or self.bulk_running:
            return False
        editing = self.card.editing
        if editing:
            return action in EDITING_ACTIONS or action == "scroll"
        if action in EDITING_ACTIONS:
            return False
        if action in CARD_ACTIONS and session.current_id() is None:
            return None  # shown dimmed: change the filters first
        return True

    # ---- the card ------------------------------------------------------------------------------

    @property
    def card(self) -> ReviewCard:
        return self.query_one("#review-card", ReviewCard)

    def current_view(self) -> Optional[CardView]:
        """The card for the session's current example (None when the filters show nothing)."""
        if self.session is None or self.cards is None:
            return None
        return self.cards.view(self.session, self._showing_original, self._showing_diff)

    def _prepare_next(self) -> None:
        """While idle after a card is painted: wrap the next card's texts, so the next key only repaints."""
        session = self.session
        if session is None or self.cards is None or self.is_loading or self.card.editing:
            return
        upcoming = self.cards.next_card(session)
        if upcoming is not None:
            self.card.prepare(upcoming.body)
            self.query_one("#review-passage", ReviewPassagePane).prepare(upcoming.passage, upcoming.copied.in_passage)

    def show_card(self) -> None:
        """Paint the current example, its passage, the progress and the filters."""
        session = self.session
        if session is None or self.cards is None:
            return
        view = self.current_view()
        none = view is None
        if self.query_one("#review-none").display != none:
            self.query_one("#review-none").display = none
            self.query_one("#review-body").display = not none
        if view is not None:
            self.card.show(view)
            example_passage = self.cards.passage(session.entries[view.example_id].passage_id)
            self.query_one("#review-passage", ReviewPassagePane).show(view.book_title, example_passage,
                                                                      view.copied.in_passage)
        self._show_progress()
        self.query_one("#review-filters", ReviewFiltersBar).show(session.filters, len(session.order),
                                                                 len(session.entries), session.book_titles,
                                                                 session.search_text)
        if view is not None:
            self.call_after_refresh(self._prepare_next)

    def _show_progress(self) -> None:
        session = self.session
        assert session is not None
        text = Text(session.list_progress().bar(), style="green")
        text.append(" of this list  \u00b7  ")
        text.append(session.progress().text)
        if session.careful:
            limit = session.settings.review.careful_reviews
            text.append(f"  \u00b7  careful start: review {session.project_reviews + 1} of {limit} "
                        f"({session.settings.review.careful_pause_s:g} s a card)", style="yellow")
        if text.plain != self._progress_plain:
            self._progress_plain = text.plain
            self.query_one("#review-progress", Static).update(text, layout=False)

    def _set_banner(self, text: Optional[str]) -> None:
        banner = self.query_one("#review-banner", Static)
        banner.update(text or "")
        banner.set_class(bool(text), "-shown")

    # ---- decisions -------------------------------------------------------------------------------

    def _decided(self, result: "DecisionResult", title: str = "") -> None:
        """After a decision: refused ones say why; verdicts feed the fatigue and careful-start checks."""
        if not result.ok:
            self.notify(result.message, title=title or "Review", severity="warning", markup=False)
            return
        self._showing_original = self._showing_diff = False
        if self.session and self.cards and result.decision and result.decision.action in ("edit", "undo"):
            self.cards.refresh_student_flags(self.session, result.example_id)  # they follow the edited turns
            self.refresh_search_entry(result.example_id)
        self.show_card()
        decision = result.decision
        if decision is not None and decision.action in ("accept", "reject"):
            self._verdicts += 1
            self._after_verdict()

    def _after_verdict(self) -> None:
        session = self.session
        assert session is not None
        if self._verdicts % FATIGUE_EVERY == 0:
            warning = session.fatigue()
            if warning and warning != self._fatigue_warning:
                self.notify(warning, title="Fatigue", severity="warning", timeout=12, markup=False)
            self._fatigue_warning = warning
            self._set_banner(warning)
        if not self._asked_failure_patterns and session.needs_failure_patterns:
            self._asked_failure_patterns = True
            self.action_failure_patterns()

    def _guard(self, call: Callable[..., "DecisionResult"], *args: Any,
               **kwargs: Any) -> Optional["DecisionResult"]:
        try:
            return call(*args, **kwargs)
        except UserError as exc:
            self.studio.show_error(exc)
            return None

    def action_accept(self) -> None:
        assert self.session is not None
        last = self.session.position == len(self.session.order) - 1
        result = self._guard(self.session.accept)
        if result is not None:
            self._decided(result, title="Careful start")
            if result.ok and last:
                self._end_of_list()

    def action_reject(self) -> None:
        session = self.session
        assert session is not None
        target = session.current_id()
        if target is None:
            return

        def chosen(reason: Optional[str]) -> None:
            if reason is None or self.session is None:
                return
            last = self.session.position == len(self.session.order) - 1
            result = self._guard(self.session.reject, reason, example_id=target)
            if result is not None:
                self._decided(result)
                if result.ok and last:
                    self._end_of_list()

        self.app.push_screen(RejectReasonModal(session.settings.review.reject_reasons, target), chosen)

    def action_skip(self) -> None:
        assert self.session is not None
        last = self.session.position == len(self.session.order) - 1
        result = self._guard(self.session.skip)
        if result is not None:
            self._decided(result)
            if last:
                self._end_of_list()

    def action_undo(self) -> None:
        assert self.session is not None
        size = self.session.next_undo_size()
        if size > 1:  # the undo of a bulk action: all of it, in a thread when large
            self.run_bulk(self.session.undo, size)
            return
        result = self._guard(self.session.undo)
        if result is None:
            return
        if result.ok:
            self.notify(result.message, title="Undo", timeout=3, markup=False)
        self._decided(result, title="Undo")

    def _end_of_list(self) -> None:
        session = self.session
        assert session is not None
        pending = len(session.index["status"].get("pending", ()))
        self.notify(f"That was the last card of this list; {pending:,} examples are still pending "
                    f"(press / to change the filters).", title="Review", markup=False)

    # ---- moving ----------------------------------------------------------------------------------

    def action_next(self) -> None:
        assert self.session is not None
        self.session.next()
        self._showing_original = self._showing_diff = False
        self.show_card()

    def action_previous(self) -> None:
        assert self.session is not None
        self.session.previous()
        self._showing_original = self._showing_diff = False
        self.show_card()

    def action_next_flagged(self) -> None:
        assert self.session is not None
        if self.session.next_flagged() is None:
            self.notify("No flagged example in this list.", title="Review", markup=False)
            return
        self._showing_original = self._showing_diff = False
        self.show_card()

    def action_toggle_original(self) -> None:
        view = self.card.view
        if view is None or not view.edited:
            self.notify("This example has not been edited: the text shown is the teacher's.", markup=False)
            return
        self._showing_original, self._showing_diff = not self._showing_original, False
        self.show_card()

    def action_scroll(self, pages: int) -> None:
        self.card.scroll_text(pages)
        self.query_one("#review-passage", ReviewPassagePane).scroll_text(pages)

    # ---- editing ---------------------------------------------------------------------------------

    def action_edit(self) -> None:
        view = self.card.view
        if view is None:
            return
        self._editing_id = view.example_id
        self.card.start_edit(view)
        self.refresh_bindings()

    def action_save_edit(self) -> None:
        """Save the editor's conversation once it is valid; otherwise say why and keep the editor open."""
        from core.review import DecisionResult

        session = self.session
        assert session is not None
        try:
            value = self.card.editor_value()
            result = (session.edit_student(value, example_id=self._editing_id) if isinstance(value, list)
                      else session.edit(value, example_id=self._editing_id))
        except UserError as exc:
            result = DecisionResult(False, str(exc))
        if not result.ok and result.message != "No change to save.":  # the reviewer's typing is kept
            self.notify(result.message + " Fix it and press ctrl+s, or press Escape to abandon the edit.",
                        title="Edit", severity="warning", timeout=10, markup=False)
            return
        self._close_editor()
        if result.ok:
            self.notify(f"Saved your edit of #{self._editing_id}; the teacher's original is kept (o shows it).",
                        title="Edit", timeout=3, markup=False)
        self._decided(result, title="Edit")

    def action_cancel_edit(self) -> None:
        self._close_editor()
        self.notify("Edit abandoned: nothing was saved.", title="Edit", timeout=3, markup=False)

    def _close_editor(self) -> None:
        self.card.end_edit()
        self.set_focus(None)
        self.refresh_bindings()
        self.show_card()

    # ---- filters, clusters, analytics, failure patterns -----------------------------------------------

    def action_filters(self) -> None:
        session = self.session
        assert session is not None

        def chosen(choice: Optional[FilterChoice]) -> None:
            if choice is None or self.session is None:
                return
            facet, value = choice
            if facet == CLEAR_ALL:
                self.session.apply_filters({})
            else:
                self.session.set_filter(facet, value)
            self._showing_original = self._showing_diff = False
            self.show_card()
            self.save_place()  # a new list is remembered at once (moves wait for the interval)

        self.app.push_screen(ReviewFilterModal(session.filter_counts(), session.filters, session.book_titles), chosen)

    def action_analytics(self) -> None:
        db = self.studio.db
        self.app.push_screen(ReviewAnalyticsModal(lambda: analytics_text(db)))
