"""Blind pairwise review: pairs of two models' answers to the same probes, shown in a hidden random order.

Why blind and randomised with a recorded seed: a reviewer who knows which answer is the tuned model's
finds what they hope to find; the left/right side of each pair and the order of pairs are drawn from
the comparison's seed (so the draw can be checked later) and the identities stay hidden until `reveal`.
Verdicts are append-only events (left / right / tie / both-bad, with an optional reason; undo is an event
too), so undo is exact and unlimited and nothing a reviewer did is lost.  The fold over the events is kept
in memory and updated per event: a key press costs one journal line, not a re-read of the log.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal, Optional, get_args

from core.errors import UserError
from core.evaluation.answers import AnswerReport, Decoding, ProbeRef
from core.evaluation.models import ModelSpec
from core.evaluation.stats import Outcome, WinRate, win_rate
from store.comparisons import Answer, Comparison, PairVerdict
from store.database import Database

Choice = Literal["left", "right", "tie", "both-bad"]
CHOICES: tuple[Choice, ...] = get_args(Choice)
# Reasons a reviewer may attach to a verdict: the method's warning signs, as short codes.
REASONS: dict[str, str] = {
    "performed": "uncertainty performed, not genuine",
    "formulaic": "formulaic or stock phrases",
    "exercise": "reads like a creative-writing exercise",
    "continuity": "loses the thread of the conversation",
    "assistant": "generic assistant tone",
}


class ArenaError(UserError):
    """A comparison that cannot be reviewed as asked (nothing to undo, no pairs, not finished)."""


def create_comparison(db: Database, model_a: ModelSpec, model_b: ModelSpec, probes: list[ProbeRef],
                      answers_a: AnswerReport, answers_b: AnswerReport, decoding: Decoding, seed: int,
                      name: str = "") -> Comparison:
    """A new comparison pairing each probe's two answers, pair order and sides drawn from `seed`."""
    rng = random.Random(seed)
    pairs: list[dict[str, Any]] = []
    for ref in probes:
        a, b = answers_a.answers.get(ref.ref), answers_b.answers.get(ref.ref)
        if a is not None and b is not None:
            pairs.append({"probe_set": ref.probe_set, "probe_id": ref.probe.id, "a": a.key, "b": b.key})
    if not pairs:
        raise ArenaError("No probe has answers from both models, so there is nothing to compare; answer the "
                         "probes first.")
    rng.shuffle(pairs)
    for pair in pairs:
        pair["a_left"] = rng.random() < 0.5
    comparison = Comparison(name=name or f"{model_a.label} vs {model_b.label}", model_a=model_a.to_dict(),
                            model_b=model_b.to_dict(), probe_sets=sorted({p.probe_set for p in probes}),
                            settings=decoding.to_dict(), seed=seed, pairs=pairs)
    return db.comparisons.add(comparison)


def outcome_of(choice: str, a_left: bool) -> Outcome:
    """A side choice as model A's outcome: the left answer is A's when `a_left`."""
    if choice == "left":
        return "a" if a_left else "b"
    if choice == "right":
        return "b" if a_left else "a"
    return "tie"  # tie, both-bad


@dataclass(frozen=True)
class ShownPair:
    """What the reviewer sees of one pair: the probe and two answers, sides only (no identities)."""

    index: int  # position in the comparison's (shuffled) pair list
    probe_set: str
    probe_id: str
    left: Answer
    right: Answer
    verdict: str  # the standing verdict, "" when undecided
    reason: str


class ArenaSession:
    """A person's blind review of one comparison: decide, undo, reveal."""

    judge = "human"

    def __init__(self, db: Database, comparison: Comparison, session: str = "") -> None:
        self.db = db
        self.comparison = comparison
        self.session = session or uuid.uuid4().hex[:12]
        keys = [p[side] for p in comparison.pairs for side in ("a", "b")]
        self.answers = db.comparisons.answers.by_keys(keys)
        missing = [k for k in keys if k not in self.answers]
        if missing:
            raise ArenaError(f"{len(missing)} answers of comparison {comparison.id} are missing from the store; "
                             f"run the comparison again to regenerate them.")
        self._stack: list[PairVerdict] = []  # standing verdict events, oldest first (undo pops)
        for event in db.comparisons.verdicts.for_comparison(comparison.id, self.judge):
            self._apply(event)
        self.position = self.next_undecided(0)
        self._shown_at = time.monotonic()

    # -- the fold ---------------------------------------------------------------------------------------
    def _apply(self, event: PairVerdict) -> None:
        if event.verdict == "undo":
            if self._stack:
                self._stack.pop()
        else:
            self._stack.append(event)

    def standing(self) -> dict[int, PairVerdict]:
        """The verdict that stands on each decided pair (the latest not undone)."""
        found: dict[int, PairVerdict] = {}
        for event in self._stack:
            found[event.pair] = event
        return found

    @property
    def total(self) -> int:
        return len(self.comparison.pairs)

    @property
    def decided(self) -> int:
        return len({event.pair for event in self._stack})

    @property
    def finished(self) -> bool:
        return self.decided == self.total

    def next_undecided(self, start: int) -> int:
        decided = {event.pair for event in self._stack}
        for offset in range(self.total):
            index = (start + offset) % self.total
            if index not in decided:
                return index
        return min(start, self.total - 1)

    def pair(self, index: Optional[int] = None) -> ShownPair:
        index = self.position if index is None else index
        raw = self.comparison.pairs[index]
        a, b = self.answers[raw["a"]], self.answers[raw["b"]]
        left, right = (a, b) if raw["a_left"] else (b, a)
        standing = self.standing().get(index)
        return ShownPair(index, raw["probe_set"], raw["probe_id"], left, right,
                         standing.verdict if standing else "", standing.reason if standing else "")

    # -- events -----------------------------------------------------------------------------------------
    def decide(self, choice: str, reason: str = "") -> PairVerdict:
        """Record a verdict on the current pair (durable when this returns) and move to the next undecided."""
        if choice not in CHOICES:
            raise ArenaError(f"A verdict is one of {', '.join(CHOICES)}, not {choice!r}.")
        if reason and reason not in REASONS:
            raise ArenaError(f"Unknown reason {reason!r}; use one of {', '.join(REASONS)}.")
        index = self.position
        event = self.db.comparisons.verdicts.add(PairVerdict(
            comparison_id=self.comparison.id, pair=index, judge=self.judge, verdict=choice,
            a_left=bool(self.comparison.pairs[index]["a_left"]), reason=reason,
            seconds=round(time.monotonic() - self._shown_at, 3), session=self.session))
        self._apply(event)
        self.position = self.next_undecided(index + 1)
        self._shown_at = time.monotonic()
        return event

    def undo(self) -> int:
        """Cancel the latest standing verdict (an event); return its pair, which becomes the current one."""
        if not self._stack:
            raise ArenaError("Nothing to undo in this comparison.")
        pair = self._stack[-1].pair
        event = self.db.comparisons.verdicts.add(PairVerdict(
            comparison_id=self.comparison.id, pair=pair, judge=self.judge, verdict="undo", session=self.session))
        self._apply(event)
        self.position = pair
        self._shown_at = time.monotonic()
        return pair

    def outcomes(self) -> list[Outcome]:
        """Model A's outcome on each decided pair (both-bad counts as a tie)."""
        return [outcome_of(event.verdict, event.a_left) for event in self.standing().values()]

    def result(self) -> WinRate:
        return win_rate(self.outcomes())

    def reveal(self, force: bool = False) -> dict[str, str]:
        """The identities behind A and B (stored as revealed); refused before every pair is decided."""
        if not self.finished and not force:
            raise ArenaError(f"{self.total - self.decided} of {self.total} pairs are undecided; decide them "
                             f"first, or reveal early knowing the rest will no longer be blind.")
        if not self.comparison.revealed:
            self.comparison = self.db.comparisons.update(self.comparison.id, revealed=True)
        return {"a": str(self.comparison.model_a.get("label", "A")),
                "b": str(self.comparison.model_b.get("label", "B"))}

    def side_labels(self) -> tuple[str, str]:
        """(left label, right label) for the current pair once revealed, else ("?", "?")."""
        if not self.comparison.revealed:
            return "?", "?"
        a = str(self.comparison.model_a.get("label", "A"))
        b = str(self.comparison.model_b.get("label", "B"))
        return (a, b) if self.comparison.pairs[self.position]["a_left"] else (b, a)
