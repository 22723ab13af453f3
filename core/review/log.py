"""Review decisions as an append-only event log, and its fold.

An example's status is never stored as the truth: it is a fold over its decision events (accept, reject
with a reason, edit, skip, undo), so undo is exact and unlimited and an edit keeps the teacher's original
text.  Lists and exports read a cached fold (the example's `status` / `edited_text`); the event and that
cache are written as ONE journal change (`DecisionRepository.record`), so a process killed at any point
leaves every reader (`examples --status`, `export`, `decide`, the Review screen) the state before the
decision or the state after it, never half of it.
"""

from __future__ import annotations

from typing import Iterable, Protocol, Sequence, TypeGuard, TypeVar, Union

from core.errors import UserError
from core.settings import Settings
from store.database import Database
from store.records import DECISION_ACTIONS, Decision, DecisionAction, ExampleStatus, Unset

ACTIONS: tuple[DecisionAction, ...] = DECISION_ACTIONS
VERDICTS: tuple[DecisionAction, ...] = ("accept", "reject")
DUPLICATE_REASON = "near-duplicate"  # used by the cluster view besides the settings' reasons
MAX_COUNTED_SECONDS = 300.0  # a card left open over a break does not count as five hours of review


class ReviewError(UserError):
    """A decision that cannot be made (unknown example or reason, nothing to undo)."""


class DecisionEvent(Protocol):
    """What the fold reads of an event: a stored `Decision` or the session's lighter copy."""

    @property
    def action(self) -> Union[DecisionAction, Unset]: ...

    @property
    def edited_text(self) -> str: ...


E = TypeVar("E", bound=DecisionEvent)


def effective_events(events: Iterable[E]) -> list[E]:
    """The events still in force: each undo cancels the latest one not yet cancelled."""
    stack: list[E] = []
    for event in events:
        if event.action == "undo":
            if stack:
                stack.pop()
        else:
            stack.append(event)
    return stack


def is_action(value: str) -> TypeGuard[DecisionAction]:
    """Whether `value` (a command-line word, say) is one of the decision actions."""
    return value in ACTIONS


def fold(events: Iterable[DecisionEvent]) -> tuple[ExampleStatus, str]:
    """(status, edited_text) of an example from its events in order; pure.

    accept / reject / skip set the status; edit sets the reviewer's text and leaves the status alone;
    undo removes the latest event still in force.  No events: ("pending", "").
    """
    status: ExampleStatus = "pending"
    edited = ""
    for event in effective_events(events):
        if event.action == "accept":
            status = "accepted"
        elif event.action == "reject":
            status = "rejected"
        elif event.action == "skip":
            status = "skipped"
        elif event.action == "edit":
            edited = event.edited_text or ""
    return status, edited


def check_reason(reason: str, reasons: Sequence[str]) -> str:
    """The reject reason, stripped; `ReviewError` when it is not one of the project's reasons."""
    reason = (reason or "").strip()
    if reason not in reasons and reason != DUPLICATE_REASON:
        raise ReviewError(f"Unknown reject reason {reason!r}; use one of: {', '.join(reasons)} "
                          f"(the list is [review] reject_reasons in interiority.toml).")
    return reason


def record_decision(db: Database, settings: Settings, example_id: int, action: str, reason: str = "",
                    edited_text: str = "", seconds: float = 0.0,
                    session: str = "cli") -> tuple[Decision, ExampleStatus, str]:
    """Append one decision for an example with its new cached fold; for scripts (folds from the store).

    Returns (decision, status, edited_text).  Raises `ReviewError` for an unknown example, action or
    reason, or an undo with nothing to undo.
    """
    if not is_action(action):
        raise ReviewError(f"Unknown action {action!r}; use one of: {', '.join(ACTIONS)}.")
    if db.examples.find(example_id) is None:
        raise ReviewError(f"No example with id {example_id}; `interiority examples` lists them.")
    events = db.decisions.for_example(example_id)
    if action == "reject":
        reason = check_reason(reason, settings.review.reject_reasons)
    elif action == "edit":
        if not edited_text.strip():
            raise ReviewError("The edited text is empty; write the new text, or reject the example instead.")
    elif action == "undo" and not effective_events(events):
        raise ReviewError(f"Example {example_id} has no decision left to undo.")
    decision = Decision(example_id=example_id, action=action, reason=reason if action == "reject" else "",
                        edited_text=edited_text if action == "edit" else "", seconds=float(seconds),
                        session=session)
    status, edited = fold([*events, decision])
    db.decisions.record(decision, status, edited)
    return decision, status, edited
