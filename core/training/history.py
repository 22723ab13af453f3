"""A run's latest comparison, summarised for the Train screen's history: win rate, its interval, the opponent.

WHY here and not in the screen: the figures are `core.evaluation`'s (the stored comparison, the verdicts
folded with undo applied, the Wilson interval); the screen only shows the sentence this module makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from store.database import Database


@dataclass(frozen=True)
class ComparisonSummary:
    """The run's record in its newest comparison, from its own side (ties count half)."""

    comparison: str
    opponent: str
    judge: str  # "human" or "teacher"
    wins: int
    ties: int
    losses: int
    rate: float
    low: float
    high: float

    @property
    def n(self) -> int:
        return self.wins + self.ties + self.losses

    def short(self) -> str:
        """`62% [48-75] vs base` (fits a table cell)."""
        return f"{self.rate:.0%} [{self.low * 100:.0f}-{self.high * 100:.0f}] vs {self.opponent}"

    def sentence(self) -> str:
        return (f"won {self.rate:.0%} (95% interval {self.low:.0%}-{self.high:.0%}) of {self.n} pairs against "
                f"{self.opponent}, judged by the {'person' if self.judge == 'human' else 'teacher'} "
                f"({self.comparison})")


def latest_comparison(db: Database, run_name: str) -> Optional[ComparisonSummary]:
    """The newest comparison involving `run_name` that has verdicts (the person's first, else the teacher's)."""
    from core.evaluation.compare import comparison_outcomes
    from core.evaluation.stats import win_rate

    # Newest first: a comparison just made (no verdict yet) must not hide the judged one before it.
    involving = [c for c in db.comparisons.all() if run_name in (c.model_a.get("label"), c.model_b.get("label"))]
    for comparison in sorted(involving, key=lambda c: c.id or 0, reverse=True):
        run_is_a = comparison.model_a.get("label") == run_name
        opponent = str((comparison.model_b if run_is_a else comparison.model_a).get("label") or "?")
        for judge in ("human", "teacher"):
            outcomes = comparison_outcomes(db, comparison, judge)
            if not outcomes:
                continue
            rate = win_rate(outcomes)
            if run_is_a:
                return ComparisonSummary(comparison.name, opponent, judge, rate.wins, rate.ties, rate.losses,
                                         rate.rate, rate.low, rate.high)
            return ComparisonSummary(comparison.name, opponent, judge, rate.losses, rate.ties, rate.wins,
                                     1.0 - rate.rate, 1.0 - rate.high, 1.0 - rate.low)
    return None
