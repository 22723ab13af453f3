"""Reviewer fatigue: accept rate rising while time per item falls, against the reviewer's own history.

A tired reviewer does not slow down; they start waving things through.  The signal is the pair: this
session's recent accept rate well above the rate of earlier sessions, while the median time on a card
falls well below theirs.  Either alone is normal (a good batch, a familiar template).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

MIN_RECENT = 20  # verdicts in this session before judging it
MIN_BASELINE = 40  # verdicts in earlier sessions before they are a baseline
RATE_RISE = 0.15  # accept rate this much above the baseline ...
SPEED_FACTOR = 0.6  # ... with the median seconds per card under this share of the baseline's


@dataclass(frozen=True)
class SessionSample:
    verdicts: int
    accepts: int
    seconds: tuple[float, ...]

    @classmethod
    def from_verdicts(cls, verdicts: Iterable[tuple[str, float]]) -> "SessionSample":
        items = list(verdicts)
        return cls(len(items), sum(1 for action, _s in items if action == "accept"),
                   tuple(s for _a, s in items))

    @property
    def accept_rate(self) -> float:
        return self.accepts / self.verdicts if self.verdicts else 0.0

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds) if self.seconds else 0.0


def fatigue_warning(earlier: Sequence[SessionSample], current: SessionSample) -> Optional[str]:
    """A sentence for the reviewer when `current` drifted from the pooled `earlier` sessions, else None."""
    if current.verdicts < MIN_RECENT:
        return None
    pooled = SessionSample(sum(s.verdicts for s in earlier), sum(s.accepts for s in earlier),
                           tuple(x for s in earlier for x in s.seconds))
    if pooled.verdicts < MIN_BASELINE or pooled.median_seconds <= 0:
        return None
    rate_now, rate_before = current.accept_rate, pooled.accept_rate
    speed_now, speed_before = current.median_seconds, pooled.median_seconds
    if rate_now >= rate_before + RATE_RISE and speed_now <= SPEED_FACTOR * speed_before:
        return (f"You are accepting {100 * rate_now:.0f}% at {speed_now:.1f} s a card, against "
                f"{100 * rate_before:.0f}% at {speed_before:.1f} s in your earlier sessions: "
                f"take a break, or slow down and read the next few in full.")
    return None
