"""Review decisions as an append-only event log, and its fold.

An example's status is never stored as the truth: it is a fold over its decision events (accept, reject
with a reason, edit, skip, undo), so undo is exact and unlimited and an edit keeps the teacher's original
text.  Lists and exports read a cached fold (the example's `status` / `edited_text`); the event and that
cache are written as ONE journal change (`DecisionRepository.record`), so a process killed at any point
leaves every reader (`examples --status`, `export`, `decide`, the Review screen) the state before the
decision or the state after it, never half of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Protocol, Sequence, TypeGuard, TypeVar, Union

from core.review.edits import check_turns, replace_last_answer
from core.review.errors import ReviewError
from core.settings import Settings
from store.database import Database
from store.records import DECISION_ACTIONS, Decision, DecisionAction, ExampleStatus, Unset

__all__ = ["ACTIONS", "DUPLICATE_REASON", "MAX_COUNTED_SECONDS", "VERDICTS", "DecisionEvent", "Folded", "ReviewError",
           "check_reason", "effective_events", "fold", "fold_events", "is_action", "record_decision"]

ACTIONS: tuple[DecisionAction, ...] = DECISION_ACTIONS
VERDICTS: tuple[DecisionAction, ...] = ("accept", "reject")
DUPLICATE_REASON = "near-duplicate"  # used by the cluster view besides the settings' reasons
MAX_COUNTED_SECONDS = 300.0  # a card left open over a break does not count as five hours of review


class DecisionEvent(Protocol):
    """What the fold reads of an event: a stored `Decision` or the session's lighter copy."""

    @property
    def action(self) -> Union[DecisionAction, Unset]: ...

    @property
    def edited_text(self) -> str: ...

    @property
    def edited_student(self) -> Sequence[Mapping[str, str]]: ...


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


@dataclass(frozen=True)
class Folded:
    """An example's state from its decision log: what its cached fold must hold."""

    status: ExampleStatus = "pending"
    edited_text: str = ""  # an edit of the last answer only (older events, examples without a student conversation)
    edited_student: list[dict[str, str]] = field(default_factory=list)  # the reviewer's version of every turn


def fold_events(events: Iterable[DecisionEvent]) -> Folded:
    """The example's state from its events in order; pure.

    accept / reject / skip set the status; an edit sets the reviewer's version (its text and its turns
    together: the latest edit in force wins whole) and leaves the status alone; undo removes the latest
    event still in force.  No events: pending, unedited.
    """
    status: ExampleStatus = "pending"
    edit: Optional[DecisionEvent] = None
    for event in effective_events(events):
        if event.action == "accept":
            status = "accepted"
        elif event.action == "reject":
            status = "rejected"
        elif event.action == "skip":
            status = "skipped"
        elif event.action == "edit":
            edit = event
    if edit is None:
        return Folded(status)
    turns = [{"role": str(t.get("role", "")), "content": str(t.get("content", ""))}
             for t in (edit.edited_student or ())]
    return Folded(status, edit.edited_text or "", turns)


def fold(events: Iterable[DecisionEvent]) -> tuple[ExampleStatus, str]:
    """(status, edited_text) of an example from its events in order (see `fold_events`)."""
    folded = fold_events(events)
    return folded.status, folded.edited_text


def check_reason(reason: str, reasons: Sequence[str]) -> str:
    """The reject reason, stripped; `ReviewError` when it is not one of the project's reasons."""
    reason = (reason or "").strip()
    if reason not in reasons and reason != DUPLICATE_REASON:
        raise ReviewError(f"Unknown reject reason {reason!r}; use one of: {', '.join(reasons)} "
                          f"(the list is [review] reject_reasons in interiority.toml).")
    return reason


def record_decision(db: Database, settings: Settings, example_id: int, action: str, reason: str = "",
                    edited_text: str = "", seconds: float = 0.0, session: str = "cli",
                    edited_student: Optional[Sequence[Any]] = None) -> tuple[Decision, ExampleStatus, str]:
    """Append one decision for an example with its new cached fold; for scripts (folds from the store).

    An edit gives either `edited_student` (every turn, validated for the example's shape) or
    `edited_text`, which replaces the last answer (of the student conversation when the example has one).
    Returns (decision, status, edited_text).  Raises `ReviewError` for an unknown example, action or
    reason, an invalid or empty edit, or an undo with nothing to undo.
    """
    if not is_action(action):
        raise ReviewError(f"Unknown action {action!r}; use one of: {', '.join(ACTIONS)}.")
    example = db.examples.find(example_id)
    if example is None:
        raise ReviewError(f"No example with id {example_id}; `interiority examples` lists them.")
    events = db.decisions.for_example(example_id)
    turns: list[dict[str, str]] = []
    if action == "reject":
        reason = check_reason(reason, settings.review.reject_reasons)
    elif action == "edit":
        if edited_student is not None:
            turns = check_turns(example, list(edited_student))
            edited_text = ""
        elif not edited_text.strip():
            raise ReviewError("The edited text is empty; write the new text, or reject the example instead.")
        elif example.has_student:
            turns = check_turns(example, replace_last_answer(example.final_student, edited_text.strip()))
            edited_text = ""
    elif action == "undo" and not effective_events(events):
        raise ReviewError(f"Example {example_id} has no decision left to undo.")
    decision = Decision(example_id=example_id, action=action, reason=reason if action == "reject" else "",
                        edited_text=edited_text if action == "edit" else "", edited_student=turns,
                        seconds=float(seconds), session=session)
    folded = fold_events([*events, decision])
    db.decisions.record(decision, folded.status, folded.edited_text, folded.edited_student)
    return decision, folded.status, folded.edited_text
