"""The near-duplicate cluster view: the examples of one cluster side by side, settled with one key.

A cluster of near-duplicates needs one decision, not five: keep the best one (it is accepted and the rest
are rejected as near-duplicates) or reject the whole cluster.  The modal only chooses; it dismisses with
`("keep", example_id)` or `("reject", None)` and the screen writes the decisions (each one undoable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

ClusterChoice = tuple[str, Optional[int]]


@dataclass(frozen=True)
class ClusterMember:
    """One example of the cluster as the view shows it."""

    example_id: int
    status: str
    text: str
    flag_codes: tuple[str, ...]
    words: int


def best_guess(members: Sequence[ClusterMember], current: int) -> int:
    """Index of the member to preselect: the fewest flags besides near-duplicate, then the current card."""
    def badness(item: tuple[int, ClusterMember]) -> tuple[int, int, int]:
        index, member = item
        other_flags = sum(1 for code in member.flag_codes if code != "near-duplicate")
        return (other_flags, 0 if member.example_id == current else 1, index)

    return min(enumerate(members), key=badness)[0]


class ReviewClusterModal(ModalScreen[Optional[ClusterChoice]]):
    """Side-by-side view of a near-duplicate cluster."""

    BINDINGS = [
        Binding("left,h", "move(-1)", "Previous", id="review.cluster_left"),
        Binding("right,l", "move(1)", "Next", id="review.cluster_right"),
        Binding("b,enter", "keep", "Keep this, reject the rest", id="review.cluster_keep"),
        Binding("x", "reject_all", "Reject the whole cluster", id="review.cluster_reject"),
        Binding("escape,c", "close", "Close", id="review.cluster_close"),
    ]
    DEFAULT_CSS = """
    ReviewClusterModal #cluster-box { width: 96%; height: 90%; border: thick $primary; background: $surface; }
    ReviewClusterModal #cluster-columns { height: 1fr; overflow-x: auto; }
    ReviewClusterModal .cluster-column { width: 1fr; min-width: 36; height: 1fr; border: round $panel;
                                         padding: 0 1; }
    ReviewClusterModal .cluster-column.-selected { border: round $accent; }
    ReviewClusterModal .cluster-head { height: 2; }
    """

    def __init__(self, members: Sequence[ClusterMember], current: int) -> None:
        super().__init__(classes="modal")
        self.members = list(members)
        self.selected = best_guess(self.members, current) if self.members else 0

    def compose(self) -> ComposeResult:
        with Vertical(id="cluster-box"):
            yield Label(f"Near-duplicate cluster of {len(self.members)} examples: \u2190/\u2192 choose, "
                        f"b keeps the chosen one and rejects the rest, x rejects them all, Escape closes.",
                        classes="modal-question", markup=False)
            with Horizontal(id="cluster-columns"):
                for index, member in enumerate(self.members):
                    with VerticalScroll(classes="cluster-column", id=f"cluster-{member.example_id}",
                                        can_focus=False):
                        head = Text(f"#{member.example_id}", style="bold")
                        head.append(f"  {member.status}  {member.words} words")
                        other = [c for c in member.flag_codes if c != "near-duplicate"]
                        head.append("\n" + (", ".join(other) if other else "no other flags"), style="dim")
                        yield Static(head, classes="cluster-head")
                        yield Static(Text(member.text), classes="cluster-text")

    def on_mount(self) -> None:
        self._mark()

    def _mark(self) -> None:
        for index, column in enumerate(self.query(".cluster-column")):
            column.set_class(index == self.selected, "-selected")
            if index == self.selected:
                column.scroll_visible(animate=False)

    @property
    def selected_id(self) -> Optional[int]:
        return self.members[self.selected].example_id if self.members else None

    def action_move(self, step: int) -> None:
        if self.members:
            self.selected = (self.selected + step) % len(self.members)
            self._mark()

    def action_keep(self) -> None:
        self.dismiss(("keep", self.selected_id))

    def action_reject_all(self) -> None:
        self.dismiss(("reject", None))

    def action_close(self) -> None:
        self.dismiss(None)
