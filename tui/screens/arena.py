"""The Arena screen: two models' answers to the same probe side by side, blind, decided with single keys.

Everything but rendering is `core.evaluation.arena.ArenaSession` (the hidden seeded order, the verdict
events, exact undo, reveal).  The session loads in a thread worker (it reads the comparison's answers
once); after that a key press is one journal write (durable when it returns) and the changed widgets'
updates, done inline so the next pair is painted in the next frame.  Why the care in `paint`: a layout
pass re-lays-out and re-composites the whole screen, several times the cost of the repaint itself, so
only widgets whose text changed are updated, one-line and fixed-height widgets without a layout pass,
the prompt with one only when its wrapped height changes, and the panes (`ReviewText`) never; the next
pair's answers are wrapped ahead while the reviewer reads.  Comparisons are made by `interiority compare`
(or the command palette later); this screen reviews the newest one and `n` moves to the next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Static

from tui.screens.base import StudioScreen
from tui.widgets.arena_pair import ArenaPane

if TYPE_CHECKING:
    from core.evaluation.arena import ArenaSession

EMPTY = ("No comparison yet: run `interiority compare MODEL_A MODEL_B` (a run name, base, or a model folder); "
         "its pairs appear here to judge blind.")
REASON_KEYS = {"performed": "p", "formulaic": "o", "exercise": "w", "continuity": "c", "assistant": "g"}


class ArenaScreen(StudioScreen):
    """Blind pairwise review of two models' answers."""

    SCREEN_ID = "arena"
    AUTO_FOCUS = ""
    BINDINGS = [
        # Letters only: the digits switch screens.
        Binding("f,left", "decide('left')", "Left better", id="arena.left"),
        Binding("j,right", "decide('right')", "Right better", id="arena.right"),
        Binding("t", "decide('tie')", "Tie", id="arena.tie"),
        Binding("b", "decide('both-bad')", "Both bad", id="arena.both_bad"),
        Binding("u", "undo", "Undo", id="arena.undo"),
        Binding("v", "reveal", "Reveal", id="arena.reveal"),
        Binding("n", "next_comparison", "Next comparison", id="arena.next_comparison"),
        Binding("p", "reason('performed')", "Reason: performed", id="arena.reason_performed", show=False),
        Binding("o", "reason('formulaic')", "Reason: formulaic", id="arena.reason_formulaic", show=False),
        Binding("w", "reason('exercise')", "Reason: writing exercise", id="arena.reason_exercise", show=False),
        Binding("c", "reason('continuity')", "Reason: loses the thread", id="arena.reason_continuity",
                show=False),
        Binding("g", "reason('assistant')", "Reason: assistant tone", id="arena.reason_assistant", show=False),
    ]
    DEFAULT_CSS = """
    ArenaScreen #arena-status { height: 1; padding: 0 1; background: $panel; }
    ArenaScreen #arena-prompt { height: auto; max-height: 6; padding: 0 1; text-style: bold; }
    ArenaScreen #arena-body { height: 1fr; }
    ArenaScreen #arena-note { height: 3; padding: 0 1; }
    ArenaScreen #arena-empty { padding: 2 4; }
    """

    class SessionLoaded(Message):
        def __init__(self, session: Optional["ArenaSession"]) -> None:
            super().__init__()
            self.session = session

    def __init__(self) -> None:
        super().__init__()
        self.session: Optional["ArenaSession"] = None
        self.is_loading = True
        self.reason = ""
        self.note = ""
        self._comparison_id: Optional[int] = None
        self._shown: dict[str, str] = {}  # widget id -> the text it shows (unchanged ones are not updated)
        self._prompt_rows = -1

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static("Loading the comparison\u2026", id="arena-empty", markup=False)
        with Vertical(id="arena-main"):
            yield Static("", id="arena-status", markup=False)
            yield Static("", id="arena-prompt", markup=False)
            with Horizontal(id="arena-body"):
                yield ArenaPane(id="arena-left")
                yield ArenaPane(id="arena-right")
            yield Static("", id="arena-note", markup=False)
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.query_one("#arena-main").display = False
        self._load(None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="arena-load")
    def _load(self, after: Optional[int]) -> None:
        from core.evaluation.arena import ArenaSession

        comparisons = sorted(self.studio.db.comparisons.all(), key=lambda c: -c.id)
        chosen = comparisons[0] if comparisons else None
        if after is not None and comparisons:
            older = [c for c in comparisons if c.id < after]
            chosen = older[0] if older else comparisons[0]
        self.post_message(self.SessionLoaded(ArenaSession(self.studio.db, chosen) if chosen else None))

    def on_arena_screen_session_loaded(self, message: SessionLoaded) -> None:
        self.session = message.session
        self.is_loading = False
        empty = self.query_one("#arena-empty", Static)
        if self.session is None:
            empty.update(EMPTY)
            return
        empty.display = False
        self.query_one("#arena-main").display = True
        self._comparison_id = self.session.comparison.id
        self.paint()

    # -- painting -----------------------------------------------------------------------------------------
    def _set(self, widget_id: str, text: str, layout: bool = False) -> None:
        """Update a Static only when its text changed; a layout pass only when asked (its height may change)."""
        if self._shown.get(widget_id) == text:
            return
        self._shown[widget_id] = text
        self.query_one(f"#{widget_id}", Static).update(text, layout=layout)

    def _set_prompt(self, text: str) -> None:
        """The prompt's height follows its text: ask for a layout pass only when its wrapped height changes."""
        if self._shown.get("arena-prompt") == text:
            return
        prompt = self.query_one("#arena-prompt", Static)
        width = prompt.content_region.width or max(1, self.app.size.width - 2)
        rows = min(6, len(Text(text).wrap(self.app.console, width)))
        self._set("arena-prompt", text, layout=rows != self._prompt_rows)
        self._prompt_rows = rows

    def paint(self) -> None:
        session = self.session
        if session is None:
            return
        shown = session.pair()
        left_label, right_label = session.side_labels()
        state = f" \u00b7 standing: {shown.verdict}" if shown.verdict else ""
        self._set("arena-status",
                  f"{session.comparison.name if session.comparison.revealed else 'Comparison ' + str(session.comparison.id)}"
                  f" \u00b7 pair {shown.index + 1}/{session.total} \u00b7 decided {session.decided}{state} \u00b7 "
                  f"{shown.probe_set}/{shown.probe_id}")
        turns = shown.left.turns
        self._set_prompt(turns[0] if len(turns) == 1 else
                         f"A conversation of {len(turns)} turns (each side answered it itself)")
        key = (shown.index, left_label)
        if self._shown.get("panes") != repr(key):
            self._shown["panes"] = repr(key)
            self.query_one("#arena-left", ArenaPane).show_answer(shown.left, f"Left ({left_label})")
            self.query_one("#arena-right", ArenaPane).show_answer(shown.right, f"Right ({right_label})")
        reason = f"reason for the next verdict: {self.reason}" if self.reason else \
            "reasons (optional): p performed, o formulaic, w writing exercise, c loses the thread, g assistant"
        self._set("arena-note", f"{self.note}\n{reason}" if self.note else reason)
        self.call_after_refresh(self._prepare_next)

    def _prepare_next(self) -> None:
        """Wrap the pair a verdict on this one would show next, after this frame, while the reviewer reads."""
        session = self.session
        if session is None or session.finished:
            return
        upcoming = session.pair(session.next_undecided(session.position + 1))
        self.query_one("#arena-left", ArenaPane).prepare_answer(upcoming.left)
        self.query_one("#arena-right", ArenaPane).prepare_answer(upcoming.right)

    # -- actions ------------------------------------------------------------------------------------------
    def action_decide(self, choice: str) -> None:
        if self.session is None:
            return
        self.session.decide(choice, self.reason)
        self.reason = ""
        self.note = "All pairs decided: press v to reveal the models." if self.session.finished else ""
        self.paint()

    def action_undo(self) -> None:
        from core.evaluation.arena import ArenaError

        if self.session is None:
            return
        try:
            self.session.undo()
        except ArenaError as exc:
            self.note = str(exc)
        else:
            self.note = "Undone."
        self.paint()

    def action_reason(self, reason: str) -> None:
        self.reason = "" if self.reason == reason else reason
        self.paint()

    def action_reveal(self) -> None:
        from core.evaluation.arena import ArenaError

        if self.session is None:
            return
        try:
            names = self.session.reveal()
        except ArenaError as exc:
            self.note = str(exc)
        else:
            rate = self.session.result()
            self.note = (f"A = {names['a']}, B = {names['b']}: A wins {rate.wins}, ties {rate.ties}, B wins "
                         f"{rate.losses}; A's win rate {rate.rate:.0%} (95% {rate.low:.0%}-{rate.high:.0%}, "
                         f"sign test p={rate.p_value:.3g}).")
        self.paint()

    def action_next_comparison(self) -> None:
        self.is_loading = True
        self._load(self._comparison_id)
