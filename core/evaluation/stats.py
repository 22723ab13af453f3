"""The statistics of pairwise comparisons, with their uncertainty.

Why these: a win rate alone cannot say whether the 500-example stage beat the 200-example one or whether
the difference is noise.  The Wilson interval (ties as half a win) stays honest at small n and near 0 or
1; the exact sign test (ties dropped) answers "is one model preferred at all"; Bradley-Terry orders three
or more models from incomplete pairings, with bootstrap intervals because its strengths have no simple
closed-form error; the position-bias rate and Cohen's kappa say how far a judge can be trusted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, Optional, Sequence

import numpy as np

Outcome = Literal["a", "b", "tie"]
OUTCOMES: tuple[Outcome, ...] = ("a", "b", "tie")
Z95 = 1.959963984540054


@dataclass(frozen=True)
class WinRate:
    """Model A's record against model B, ties counted as half a win."""

    wins: int
    ties: int
    losses: int
    rate: float  # (wins + ties / 2) / n; 0.5 when n is 0
    low: float  # Wilson 95% interval
    high: float
    p_value: float  # exact two-sided sign test, ties dropped

    @property
    def n(self) -> int:
        return self.wins + self.ties + self.losses

    def to_dict(self) -> dict[str, float | int]:
        return {"wins": self.wins, "ties": self.ties, "losses": self.losses, "n": self.n,
                "win_rate": round(self.rate, 4), "low": round(self.low, 4), "high": round(self.high, 4),
                "p_value": round(self.p_value, 6)}


def counts(outcomes: Sequence[str]) -> tuple[int, int, int]:
    """(wins, ties, losses) of model A in a list of outcomes "a" / "b" / "tie"."""
    wins = sum(1 for o in outcomes if o == "a")
    losses = sum(1 for o in outcomes if o == "b")
    ties = sum(1 for o in outcomes if o == "tie")
    if wins + losses + ties != len(outcomes):
        unknown = sorted({o for o in outcomes if o not in OUTCOMES})
        raise ValueError(f"outcomes must be 'a', 'b' or 'tie', not {unknown}")
    return wins, ties, losses


def wilson_interval(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a proportion `successes / n` (successes may be fractional)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def sign_test_p(wins: int, losses: int) -> float:
    """Exact two-sided sign-test p-value: P(a split at least this uneven | each side equally likely)."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail = Fraction(sum(math.comb(n, i) for i in range(k + 1)), 2 ** n)
    return float(min(Fraction(1), 2 * tail))


def win_rate(outcomes: Sequence[str]) -> WinRate:
    """Win / tie / loss, the win rate with its Wilson interval, and the sign-test p-value."""
    wins, ties, losses = counts(outcomes)
    n = wins + ties + losses
    score = wins + ties / 2
    low, high = wilson_interval(score, n)
    return WinRate(wins, ties, losses, score / n if n else 0.5, low, high, sign_test_p(wins, losses))


# -- Bradley-Terry ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ranked:
    """One model's Bradley-Terry strength (strengths sum to 1) with its bootstrap 95% interval."""

    model: str
    strength: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float | str]:
        return {"model": self.model, "strength": round(self.strength, 4), "low": round(self.low, 4),
                "high": round(self.high, 4)}


Comparison = tuple[str, str, str]  # (model x, model y, outcome "a" = x won, "b" = y won, "tie")


def _score_matrix(models: Sequence[str], comparisons: Sequence[Comparison]) -> np.ndarray:
    """wins[i, j]: how often model i beat model j, a tie counting half to each."""
    index = {m: i for i, m in enumerate(models)}
    wins = np.zeros((len(models), len(models)))
    for x, y, outcome in comparisons:
        i, j = index[x], index[y]
        if outcome == "a":
            wins[i, j] += 1
        elif outcome == "b":
            wins[j, i] += 1
        else:
            wins[i, j] += 0.5
            wins[j, i] += 0.5
    return wins


def bradley_terry_strengths(wins: np.ndarray, prior: float = 0.5, iterations: int = 500,
                            tolerance: float = 1e-10) -> np.ndarray:
    """Strengths p (sum 1) maximising the Bradley-Terry likelihood, by Hunter's MM algorithm.

    `prior` adds that many virtual ties between every two models that met, so that a model that never
    won keeps a finite, positive strength (the MLE would be 0).  p_i <- W_i / sum_j n_ij / (p_i + p_j).
    """
    wins = np.asarray(wins, dtype=float)
    met = (wins + wins.T) > 0
    wins = wins + prior * 0.5 * met  # a virtual tie: half a win each way
    games = wins + wins.T
    total_wins = wins.sum(axis=1)
    k = len(wins)
    p = np.full(k, 1.0 / k)
    for _ in range(iterations):
        denominator = (games / (p[:, None] + p[None, :])).sum(axis=1)
        updated: np.ndarray = np.where(denominator > 0, total_wins / np.where(denominator > 0, denominator, 1), p)
        updated = updated / updated.sum()
        if np.max(np.abs(updated - p)) < tolerance:
            return updated
        p = updated
    return p


def bradley_terry(comparisons: Sequence[Comparison], bootstrap: int = 200, seed: int = 0,
                  prior: float = 0.5) -> list[Ranked]:
    """Models ranked by Bradley-Terry strength, strongest first, with seeded bootstrap 95% intervals.

    The bootstrap resamples the comparisons with replacement and refits; the interval is the 2.5th and
    97.5th percentiles of each model's strength.
    """
    models = sorted({c[0] for c in comparisons} | {c[1] for c in comparisons})
    if not models:
        return []
    strengths = bradley_terry_strengths(_score_matrix(models, comparisons), prior)
    samples = np.empty((bootstrap, len(models)))
    rng = np.random.default_rng(seed)
    for b in range(bootstrap):
        picks = rng.integers(0, len(comparisons), len(comparisons))
        samples[b] = bradley_terry_strengths(_score_matrix(models, [comparisons[i] for i in picks]), prior)
    if bootstrap:
        low, high = np.percentile(samples, 2.5, axis=0), np.percentile(samples, 97.5, axis=0)
    else:
        low, high = strengths, strengths
    ranked = [Ranked(m, float(s), float(lo), float(hi)) for m, s, lo, hi in zip(models, strengths, low, high)]
    return sorted(ranked, key=lambda r: -r.strength)


# -- the judge ----------------------------------------------------------------------------------------------

Position = Literal["first", "second", "tie"]


def position_bias_rate(orders: Sequence[tuple[str, str]]) -> Optional[float]:
    """Of the pairs the judge decided in both orders, the share where it chose the same POSITION twice.

    Each item is (position chosen with A shown first, position chosen with B shown first), each "first",
    "second" or "tie".  A judge that reads the answers picks the same model, hence opposite positions;
    one that always prefers the first shown scores 1.0.  Pairs with a tie in either order are left out;
    None when no pair is left.
    """
    decided = [(x, y) for x, y in orders if x != "tie" and y != "tie"]
    if not decided:
        return None
    return sum(1 for x, y in decided if x == y) / len(decided)


def cohen_kappa(first: Sequence[str], second: Sequence[str]) -> Optional[float]:
    """Cohen's kappa between two raters' labels of the same items: (p_o - p_e) / (1 - p_e).

    None when there are no shared items; 1.0 when both raters used one and the same label throughout.
    """
    if len(first) != len(second):
        raise ValueError("both raters must label the same items")
    n = len(first)
    if n == 0:
        return None
    labels = sorted(set(first) | set(second))
    observed = sum(1 for x, y in zip(first, second) if x == y) / n
    expected = sum((list(first).count(c) / n) * (list(second).count(c) / n) for c in labels)
    if expected >= 1.0:
        return 1.0 if observed >= 1.0 else 0.0
    return (observed - expected) / (1 - expected)


# -- capability ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Capability:
    """Share of general-capability probes a model passed, and its change against the base model."""

    passed: int
    total: int
    low: float
    high: float
    base_passed: Optional[int] = None
    base_total: Optional[int] = None

    @property
    def score(self) -> float:
        return self.passed / self.total if self.total else 0.0

    @property
    def change(self) -> Optional[float]:
        if self.base_passed is None or not self.base_total:
            return None
        return self.score - self.base_passed / self.base_total

    def to_dict(self) -> dict[str, object]:
        change = self.change
        return {"passed": self.passed, "total": self.total, "score": round(self.score, 4),
                "low": round(self.low, 4), "high": round(self.high, 4),
                "change_vs_base": None if change is None else round(change, 4)}


def capability(passes: Sequence[bool], base_passes: Optional[Sequence[bool]] = None) -> Capability:
    """The capability score (share passed, Wilson interval) with the change against base when given."""
    passed = sum(1 for ok in passes if ok)
    low, high = wilson_interval(passed, len(passes))
    if base_passes is None:
        return Capability(passed, len(passes), low, high)
    return Capability(passed, len(passes), low, high, sum(1 for ok in base_passes if ok), len(base_passes))
