"""The source passage beside the card, with the words the example copies from it marked.

The passage is the passage record's text snapshot (what the teacher was shown), so the pane never reads a
book file: moving between cards touches no disk.
"""

from __future__ import annotations

from typing import Any, Optional

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from tui.widgets.review_text import ReviewText
from tui.widgets.review_verbatim import marked_text


def passage_title(book_title: str, passage: Optional[Any]) -> Text:
    """Where the passage comes from: book, character span, phenomenology, verdict, note."""
    text = Text()
    if passage is None:
        text.append("No source passage recorded for this example.", style="dim")
        return text
    text.append(book_title or f"book {passage.book_id}", style="bold")
    text.append(f"  passage #{passage.id}, characters {passage.start}-{passage.end}")
    if passage.phenomenology:
        text.append(f"  \u00b7 {passage.phenomenology}", style="italic")
    if passage.verdict:
        text.append(f"  \u00b7 {passage.verdict}")
    if passage.note:
        text.append(f"\nwhy: {passage.note}", style="italic")
    return text


class ReviewPassagePane(Vertical):
    """The passage an example was made from."""

    DEFAULT_CSS = """
    ReviewPassagePane { width: 1fr; height: 1fr; padding: 0 1; border-left: solid $panel; }
    ReviewPassagePane #passage-title { height: 3; color: $text-muted; overflow-y: hidden; }
    ReviewPassagePane #passage-text { height: 1fr; border-top: solid $panel; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: Optional[tuple[Any, ...]] = None

    def compose(self) -> ComposeResult:
        yield ReviewText(id="passage-title")
        yield ReviewText(id="passage-text")

    def show(self, book_title: str, passage: Optional[Any], spans: tuple[tuple[int, int], ...]) -> None:
        """Show `passage` (a `store.records.Passage` or None) with the copied `spans` marked."""
        key = (book_title, passage.id if passage is not None else None, passage.updated if passage else 0, spans)
        if key == self._shown:  # several samples of one passage in a row: nothing to repaint
            return
        self._shown = key
        self.query_one("#passage-title", ReviewText).show(passage_title(book_title, passage))
        body = marked_text(passage.text, spans) if passage is not None else Text("")
        self.query_one("#passage-text", ReviewText).show(body)  # repaints itself only: no screen layout

    def prepare(self, passage: Optional[Any], spans: tuple[tuple[int, int], ...]) -> None:
        """Wrap a passage ahead of its `show` (while the app is idle), so that showing it only repaints."""
        if passage is not None:
            self.query_one("#passage-text", ReviewText).prepare(marked_text(passage.text, spans))

    def scroll_text(self, pages: int) -> None:
        self.query_one("#passage-text", ReviewText).scroll_pages(pages)
