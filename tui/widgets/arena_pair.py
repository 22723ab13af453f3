"""One side of an Arena pair: the answer (or, for continuity probes, the whole conversation), unlabelled.

Why a widget of its own: the two panes are repainted on every verdict; `show` builds one Rich Text and
updates a Static, which is all a pane needs to stay well inside a frame.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from store.comparisons import Answer


def conversation_text(answer: Answer) -> Text:
    """The reply alone for a single-turn probe; every turn, labelled, for a scripted conversation."""
    if len(answer.turns) <= 1:
        return Text(answer.final or "(no reply)")
    text = Text()
    for index, message in enumerate(answer.conversation()):
        if index:
            text.append("\n\n")
        if message["role"] == "user":
            text.append("Person: ", style="bold")
            text.append(message["content"], style="italic")
        else:
            text.append("AI: ", style="bold")
            text.append(message["content"] or "(no reply)")
    return text


class ArenaPane(VerticalScroll):
    """A titled, scrollable pane holding one anonymous answer."""

    DEFAULT_CSS = """
    ArenaPane { width: 1fr; height: 1fr; border: round $primary; padding: 0 1; }
    ArenaPane > Static { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", markup=False)

    def show(self, answer: Answer, title: str) -> None:
        self.border_title = title
        self.query_one(Static).update(conversation_text(answer))
        self.scroll_home(animate=False)
