"""The card of the Review screen: one example, what it came from, its flags, and the in-place editor.

The card is a view: the screen builds a `CardView` from the session (plain values, nothing read from the
store here) and calls `show`.  Editing swaps the text for a `TextArea` holding the current text; the
screen reads `editor_text` when the reviewer saves, and the teacher's original stays in the example.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TextArea

from tui.widgets.review_text import ReviewText
from tui.widgets.review_verbatim import CopiedSpans, marked_text

FLAG_STYLES = {"near-duplicate": "bold magenta", "cliche": "bold yellow", "formulaic-opening": "bold yellow",
               "repeated-opening": "yellow", "empty": "bold red", "format": "red"}
STATUS_STYLES = {"accepted": "bold green", "rejected": "bold red", "skipped": "yellow", "pending": "bold"}


@dataclass(frozen=True)
class CardView:
    """Everything one card shows, as plain values."""

    example_id: int
    status: str
    text: str  # the reviewer's version when edited, else the teacher's
    original: str  # the teacher's text
    template: str
    template_version: str
    book_title: str
    tags: tuple[str, ...]
    teacher: str
    cost_usd: float
    usage: dict[str, int]
    flags: tuple[dict[str, Any], ...]
    events: tuple[tuple[str, str], ...]  # (action, reason) in force, oldest first
    copied: CopiedSpans
    position: int  # 1-based place in the filtered order
    count: int  # size of the filtered order
    showing_original: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def edited(self) -> bool:
        return bool(self.text) and self.text != self.original


def _usage_text(usage: dict[str, int]) -> str:
    parts = [f"{usage[k]} {label}" for k, label in (("input", "in"), ("output", "out"),
                                                      ("cache_read", "cache read"), ("cache_write", "cache write"))
             if usage.get(k)]
    return f" ({', '.join(parts)})" if parts else ""


def meta_text(view: CardView) -> Text:
    """The two lines above the text: identity, status and provenance."""
    text = Text()
    text.append(f"#{view.example_id}", style="bold")
    text.append(f"  {view.position}/{view.count}  ")
    text.append(view.status, style=STATUS_STYLES.get(view.status, ""))
    if view.edited:
        text.append("  edited" + (" (showing the teacher's original)" if view.showing_original else ""),
                    style="italic cyan")
    version = f" v{view.template_version[:8]}" if view.template_version else ""
    text.append(f"  template {view.template or '(none)'}{version}")
    text.append(f"  teacher {view.teacher or '(unknown)'}")
    text.append(f"  ${view.cost_usd:.4f}{_usage_text(view.usage)}")
    text.append("\n")
    text.append(view.book_title or "(no book)", style="italic")
    text.append(f"  tags: {', '.join(view.tags) if view.tags else '(none)'}")
    share = view.copied.share
    text.append(f"  copies {100 * share:.0f}% of its words from the passage",
                style="bold red" if share >= 0.3 else ("yellow" if share > 0 else ""))
    if view.events:
        text.append("  decisions: " + ", ".join(f"{a} ({r})" if r else a for a, r in view.events))
    return text


def flags_text(flags: tuple[dict[str, Any], ...]) -> Text:
    """One line per flag: its code and the sentence saying why."""
    if not flags:
        return Text("No quality flags.", style="dim")
    text = Text()
    for index, flag in enumerate(flags):
        code = str(flag.get("code", ""))
        if index:
            text.append("\n")
        text.append(f"\u25cf {code}", style=FLAG_STYLES.get(code, "bold"))
        detail = str(flag.get("detail", ""))
        if detail:
            text.append(f": {detail}")
    return text


class ReviewCard(Vertical):
    """One example: meta lines, the text (copied words marked) or the editor, and the flags."""

    DEFAULT_CSS = """
    ReviewCard { width: 1fr; height: 1fr; padding: 0 1; }
    ReviewCard #card-meta { height: 4; color: $text-muted; overflow-y: hidden; }
    ReviewCard #card-text { height: 1fr; border-top: solid $panel; }
    ReviewCard #card-editor { height: 1fr; display: none; }
    ReviewCard.-editing #card-editor { display: block; }
    ReviewCard.-editing #card-text { display: none; }
    ReviewCard #card-flags { height: 6; border-top: solid $panel; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view: Optional[CardView] = None
        self._shown_flags: Optional[tuple[dict[str, Any], ...]] = None

    def compose(self) -> ComposeResult:
        yield ReviewText(id="card-meta")
        yield ReviewText(id="card-text")
        editor = TextArea("", id="card-editor", soft_wrap=True, show_line_numbers=False)
        editor.can_focus = False  # only while editing: the review keys must reach the screen
        yield editor
        yield Static("", id="card-flags")

    def show(self, view: CardView) -> None:
        """Show one example (the text of a card the reviewer edited is the edited one)."""
        self.view = view
        # Every part repaints without a screen layout pass (see `ReviewText`); the flags only when they change.
        self.query_one("#card-meta", ReviewText).show(meta_text(view))
        if view.showing_original:
            body = Text(view.original)
        else:
            body = marked_text(view.text, view.copied.in_example)
        self.query_one("#card-text", ReviewText).show(body)  # repaints itself only: no screen layout
        if view.flags != self._shown_flags:  # most cards have none: skip the repaint of an unchanged part
            self._shown_flags = view.flags
            self.query_one("#card-flags", Static).update(flags_text(view.flags), layout=False)

    def prepare(self, text: str, copied: CopiedSpans) -> None:
        """Wrap a card's text ahead of its `show` (while the app is idle), so that showing it only repaints."""
        self.query_one("#card-text", ReviewText).prepare(marked_text(text, copied.in_example))

    @property
    def editing(self) -> bool:
        return self.has_class("-editing")

    def start_edit(self, text: str) -> TextArea:
        """Swap the text for the editor, holding `text`, and focus it."""
        editor = self.query_one("#card-editor", TextArea)
        editor.load_text(text)
        editor.can_focus = True
        self.add_class("-editing")
        editor.focus()
        return editor

    @property
    def editor_text(self) -> str:
        return self.query_one("#card-editor", TextArea).text

    def end_edit(self) -> None:
        editor = self.query_one("#card-editor", TextArea)
        editor.blur()
        editor.can_focus = False
        self.remove_class("-editing")
        editor.load_text("")

    def scroll_text(self, pages: int) -> None:
        self.query_one("#card-text", ReviewText).scroll_pages(pages)
