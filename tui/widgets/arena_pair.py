"""One side of an Arena pair: the answer (or, for continuity probes, the whole conversation), unlabelled.

Why a `ReviewText`: both panes change on every verdict.  A `Static` inside a `VerticalScroll` needs a layout
pass for each new text (its height follows the text), and Textual then re-lays-out and re-composites the
whole screen, which was most of a verdict's frame.  `ReviewText` keeps a fixed place in the layout, wraps
the text itself into finished lines and only repaints them; the screen wraps the next pair's texts ahead
(`prepare_answer`) while the reviewer reads, so the key press that shows them only repaints.  The vertical
scrollbar is always shown (`overflow-y: scroll`): pairs alternate between short answers and long
conversations, and a scrollbar that came and went would ask for a layout pass on every such change.
"""

from __future__ import annotations

from rich.text import Text

from store.comparisons import Answer
from tui.widgets.review_text import ReviewText


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


class ArenaPane(ReviewText):
    """A titled, scrollable pane holding one anonymous answer."""

    DEFAULT_CSS = """
    ArenaPane { width: 1fr; height: 1fr; border: round $primary; padding: 0 1; overflow-y: scroll; }
    """

    _title = ""

    def show_answer(self, answer: Answer, title: str) -> None:
        if self._title != title:  # a new title repaints the whole pane: only when it changes (reveal)
            self._title = title
            self.border_title = title
        self.show(conversation_text(answer))

    def prepare_answer(self, answer: Answer) -> None:
        """Wrap `answer` now (while the reviewer reads) so that showing it later only repaints."""
        self.prepare(conversation_text(answer))

    @property
    def plain(self) -> str:
        """The text shown, as plain characters (what tests and screen readers read)."""
        return self.text.plain
