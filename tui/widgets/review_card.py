"""The card of the Review screen: one example, what it came from, its flags, and the in-place editor.

The card is a view: the screen builds a `CardView` from the session (plain values, nothing read from the
store here) and calls `show`.  What it shows is the student conversation exactly as training will see it
(the reviewer's version when edited): every turn, labelled User / Assistant, wrapped, with the words
copied from the passage marked in each turn.  An older example without a student conversation shows the
teacher's answer under a line saying it is excluded from builds until a backfill gives it one.  Editing
swaps the text for a `TextArea` holding the conversation as "User:" / "Assistant:" blocks (or the answer
alone for an older example); the screen reads `editor_text` when the reviewer saves, and the teacher's
original stays in the example.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Union

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TextArea

from tui.widgets.review_text import ReviewText
from tui.widgets.review_verbatim import COPIED_STYLE, ConversationCopies

NO_STUDENT = ("no student conversation yet: run `interiority backfill` (coming) \u2014 until then this example is "
              "excluded from builds. The teacher's answer:")
ROLE_LABELS = {"user": ("User", "bold cyan"), "assistant": ("Assistant", "bold green")}
Turn = tuple[str, str]  # (role, content)

FLAG_STYLES = {"near-duplicate": "bold magenta", "cliche": "bold yellow", "formulaic-opening": "bold yellow",
               "repeated-opening": "yellow", "empty": "bold red", "format": "red", "exercise-leak": "bold red",
               "copies-passage": "bold red", "no-callback": "bold yellow"}
STATUS_STYLES = {"accepted": "bold green", "rejected": "bold red", "skipped": "yellow", "pending": "bold"}


@dataclass(frozen=True)
class CardView:
    """Everything one card shows, as plain values."""

    example_id: int
    status: str
    text: str  # the final answer: the reviewer's version when edited, else the teacher's
    original: str  # the teacher's answer
    template: str
    template_version: str
    book_title: str
    tags: tuple[str, ...]
    teacher: str
    cost_usd: float
    usage: dict[str, int]
    flags: tuple[dict[str, Any], ...]
    events: tuple[tuple[str, str], ...]  # (action, reason) in force, oldest first
    copied: ConversationCopies  # per turn shown (the answer alone without a student conversation)
    position: int  # 1-based place in the filtered order
    count: int  # size of the filtered order
    showing_original: bool = False
    turns: tuple[Turn, ...] = ()  # the student conversation as exported (reviewer's version when edited)
    original_turns: tuple[Turn, ...] = ()  # the teacher's student conversation
    shape: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    showing_diff: bool = False  # the edit as a word diff against the teacher's original

    @property
    def has_student(self) -> bool:
        return bool(self.original_turns)

    @property
    def edited(self) -> bool:
        if self.has_student:
            return self.turns != self.original_turns
        return bool(self.text) and self.text != self.original


def conversation_body(turns: tuple[Turn, ...], copies: Optional[ConversationCopies] = None) -> Text:
    """Every turn under its role label, copied words marked: the conversation as the student will see it."""
    body = Text()
    for index, (role, content) in enumerate(turns):
        if index:
            body.append("\n\n")
        label, style = ROLE_LABELS.get(role, (role.title() or "?", "bold"))
        body.append(f"{label}\n", style=style)
        start = len(body)
        body.append(content)
        if copies is not None and index < len(copies.per_turn):
            for span_start, span_end in copies.per_turn[index].in_example:
                body.stylize(COPIED_STYLE, start + span_start, start + span_end)
    return body


def answer_body(text: str, copies: Optional[ConversationCopies] = None, has_student: bool = True) -> Text:
    """An answer alone (an example without a student conversation: under the line that says so)."""
    body = Text()
    if not has_student:
        body.append(NO_STUDENT + "\n\n", style="bold yellow")
    start = len(body)
    body.append(text)
    if copies is not None and copies.per_turn:
        for span_start, span_end in copies.per_turn[0].in_example:
            body.stylize(COPIED_STYLE, start + span_start, start + span_end)
    return body


def card_body(has_student: bool, turns: tuple[Turn, ...], text: str, copies: ConversationCopies) -> Text:
    """What the card's text shows (also what `prepare` wraps ahead, so both must be this one function)."""
    return conversation_body(turns, copies) if has_student else answer_body(text, copies, has_student=False)


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
        shown = (" (showing the teacher's original)" if view.showing_original
                 else " (showing the word diff)" if view.showing_diff else " (d: word diff)")
        text.append("  edited" + shown, style="italic cyan")
    if view.has_student:
        users = sum(1 for role, _content in view.turns if role == "user")
        text.append(f"  {view.shape or 'student'}: {users} user turn{'s' if users != 1 else ''}")
    else:
        text.append("  no student conversation: excluded from builds", style="bold yellow")
    version = f" v{view.template_version[:8]}" if view.template_version else ""
    text.append(f"  template {view.template or '(none)'}{version}")
    text.append(f"  teacher {view.teacher or '(unknown)'}")
    text.append(f"  ${view.cost_usd:.4f}{_usage_text(view.usage)}")
    text.append("\n")
    text.append(view.book_title or "(no book)", style="italic")
    text.append(f"  tags: {', '.join(view.tags) if view.tags else '(none)'}")
    share = view.copied.share
    where = "the conversation" if view.has_student else "the answer"
    text.append(f"  {where} copies {100 * share:.0f}% of its words from the passage",
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
        self._editing_turns = False  # the editor holds a whole conversation (else an older example's answer)
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
        if view.showing_diff and view.edited:
            from tui.widgets.review_diff import diff_body

            body = diff_body(view.original_turns, view.turns, view.original, view.text)
        elif view.showing_original:
            body = (conversation_body(view.original_turns) if view.has_student
                    else answer_body(view.original, has_student=False))
        else:
            body = card_body(view.has_student, view.turns, view.text, view.copied)
        self.query_one("#card-text", ReviewText).show(body)  # repaints itself only: no screen layout
        if view.flags != self._shown_flags:  # most cards have none: skip the repaint of an unchanged part
            self._shown_flags = view.flags
            self.query_one("#card-flags", Static).update(flags_text(view.flags), layout=False)

    def prepare(self, body: Text) -> None:
        """Wrap a card's body (`card_body`) ahead of its `show` (while idle), so that showing it only repaints."""
        self.query_one("#card-text", ReviewText).prepare(body)

    @property
    def editing(self) -> bool:
        return self.has_class("-editing")

    def start_edit(self, view: CardView) -> TextArea:
        """Swap the text for the editor, holding the conversation shown as "User:" / "Assistant:" blocks (the
        answer alone for an example without a student conversation), and focus it."""
        from core.review import conversation_text

        self._editing_turns = view.has_student
        editor = self.query_one("#card-editor", TextArea)
        editor.load_text(conversation_text([{"role": role, "content": content} for role, content in view.turns])
                         if view.has_student else view.text)
        if view.has_student:  # the cursor where most edits go: the start of the last answer
            lines = editor.text.split("\n")
            labels = [row for row, line in enumerate(lines) if line == "Assistant:"]
            editor.move_cursor((labels[-1] + 1 if labels else 0, 0))
        editor.can_focus = True
        self.add_class("-editing")
        editor.focus()
        return editor

    @property
    def editor_text(self) -> str:
        return self.query_one("#card-editor", TextArea).text

    def editor_value(self) -> Union[list[dict[str, str]], str]:
        """What the reviewer wrote: the conversation's turns (not yet validated), or an older example's answer.

        Raises `core.review.ReviewError` when the text cannot be read as turns (text before any label).
        """
        if not self._editing_turns:
            return self.editor_text
        from core.review import parse_conversation_text

        return parse_conversation_text(self.editor_text)

    def end_edit(self) -> None:
        editor = self.query_one("#card-editor", TextArea)
        editor.blur()
        editor.can_focus = False
        self.remove_class("-editing")
        editor.load_text("")

    def scroll_text(self, pages: int) -> None:
        self.query_one("#card-text", ReviewText).scroll_pages(pages)
