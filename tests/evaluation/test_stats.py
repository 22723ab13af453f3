"""The statistics against values computed by hand (the arithmetic is written next to each)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.evaluation import stats


def test_counts_and_win_rate_ties_as_half() -> None:
    outcomes = ["a"] * 7 + ["tie"] * 2 + ["b"]
    result = stats.win_rate(outcomes)
    assert (result.wins, result.ties, result.losses) == (7, 2, 1)
    assert result.rate == pytest.approx((7 + 2 / 2) / 10)  # 0.8


def test_wilson_interval_by_hand() -> None:
    # p = 8/10, z = 1.96, z^2 = 3.8416:  denominator = 1 + 3.8416/10 = 1.38416
    # centre = (0.8 + 3.8416/20) / 1.38416 = 0.99208 / 1.38416 = 0.71674
    # half = 1.96 * sqrt(0.8*0.2/10 + 3.8416/400) / 1.38416 = 1.96 * sqrt(0.0256040) / 1.38416 = 0.22658
    low, high = stats.wilson_interval(8, 10)
    assert low == pytest.approx(0.71674 - 0.22658, abs=2e-4)  # 0.4902
    assert high == pytest.approx(0.71674 + 0.22658, abs=2e-4)  # 0.9433
    # 0 of 10: centre = (3.8416/20)/1.38416 = 0.13877, half = 1.96*sqrt(3.8416/400)/1.38416 = 0.13877
    low, high = stats.wilson_interval(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.27754, abs=2e-4)
    assert stats.wilson_interval(0, 0) == (0.0, 1.0)


def test_sign_test_by_hand() -> None:
    # 7 wins, 1 loss (ties dropped): n = 8, P(X <= 1) = (C(8,0) + C(8,1)) / 2^8 = 9/256; two-sided: 18/256
    assert stats.sign_test_p(7, 1) == pytest.approx(18 / 256)
    # 3 vs 3: the tail P(X <= 3) = (1 + 6 + 15 + 20) / 64 = 42/64 > 1/2, so two-sided is capped at 1
    assert stats.sign_test_p(3, 3) == 1.0
    # 10 vs 0: 2 * 1/1024
    assert stats.sign_test_p(10, 0) == pytest.approx(2 / 1024)
    assert stats.sign_test_p(0, 0) == 1.0
    assert stats.win_rate(["a"] * 7 + ["tie"] * 5 + ["b"]).p_value == pytest.approx(18 / 256)


def test_bradley_terry_two_models_closed_form() -> None:
    # A beat B 3 times of 4: the MLE has p_A / p_B = 3/1, so strengths 0.75 and 0.25 (no prior)
    wins = np.array([[0.0, 3.0], [1.0, 0.0]])
    p = stats.bradley_terry_strengths(wins, prior=0.0)
    assert p == pytest.approx([0.75, 0.25], abs=1e-6)
    # with the default prior (one virtual tie: +0.25 each way): (3.25 / 1.25) = 2.6 -> 2.6/3.6, 1/3.6
    p = stats.bradley_terry_strengths(wins)
    assert p == pytest.approx([2.6 / 3.6, 1 / 3.6], abs=1e-6)


def test_bradley_terry_three_models_satisfies_the_likelihood_equations() -> None:
    comparisons = ([("x", "y", "a")] * 6 + [("x", "y", "b")] * 2 + [("y", "z", "a")] * 5
                   + [("y", "z", "b")] * 3 + [("x", "z", "a")] * 7 + [("x", "z", "tie")] * 2)
    ranked = stats.bradley_terry(comparisons, bootstrap=100, seed=1)
    assert [r.model for r in ranked] == ["x", "y", "z"]
    assert sum(r.strength for r in ranked) == pytest.approx(1.0)
    for r in ranked:
        assert r.low <= r.strength <= r.high
    # at the optimum, W_i = sum_j n_ij p_i / (p_i + p_j) for every model (Hunter's fixed point)
    models = ["x", "y", "z"]
    wins = stats._score_matrix(models, comparisons)
    p = stats.bradley_terry_strengths(wins, prior=0.0)
    games = wins + wins.T
    for i in range(3):
        expected = sum(games[i, j] * p[i] / (p[i] + p[j]) for j in range(3) if j != i)
        assert wins[i].sum() == pytest.approx(expected, rel=1e-6)
    # the bootstrap is seeded: the same seed gives the same intervals
    again = stats.bradley_terry(comparisons, bootstrap=100, seed=1)
    assert [(r.low, r.high) for r in again] == [(r.low, r.high) for r in ranked]


def test_bradley_terry_keeps_a_model_that_never_won_positive() -> None:
    ranked = stats.bradley_terry([("a", "b", "a")] * 5, bootstrap=10)
    assert ranked[-1].model == "b" and ranked[-1].strength > 0


def test_position_bias_by_hand() -> None:
    # decided in both orders: 3 pairs (the tie is left out); same position twice in 2 of them
    orders = [("first", "first"), ("first", "second"), ("tie", "first"), ("second", "second")]
    assert stats.position_bias_rate(orders) == pytest.approx(2 / 3)
    assert stats.position_bias_rate([("tie", "tie")]) is None


def test_cohen_kappa_by_hand() -> None:
    human = ["a", "a", "b", "b", "tie", "a"]
    judge = ["a", "b", "b", "b", "tie", "a"]
    # p_o = 5/6; human a 3/6 b 2/6 tie 1/6; judge a 2/6 b 3/6 tie 1/6
    # p_e = (3*2 + 2*3 + 1*1) / 36 = 13/36;  kappa = (30/36 - 13/36) / (23/36) = 17/23
    assert stats.cohen_kappa(human, judge) == pytest.approx(17 / 23)
    assert stats.cohen_kappa(["a", "a"], ["a", "a"]) == 1.0
    assert stats.cohen_kappa([], []) is None
    with pytest.raises(ValueError):
        stats.cohen_kappa(["a"], [])


def test_capability_score_and_change_vs_base() -> None:
    # tuned passes 6 of 8 = 0.75, base 7 of 8 = 0.875: change -0.125
    cap = stats.capability([True] * 6 + [False] * 2, [True] * 7 + [False])
    assert cap.score == pytest.approx(0.75)
    assert cap.change == pytest.approx(-0.125)
    assert cap.to_dict()["change_vs_base"] == -0.125
    assert stats.capability([True]).change is None


def test_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError):
        stats.counts(["a", "left"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "tie"]), max_size=60))
def test_interval_contains_the_rate_and_swapping_sides_mirrors_it(outcomes: list[str]) -> None:
    result = stats.win_rate(outcomes)
    swapped = stats.win_rate([{"a": "b", "b": "a"}.get(o, o) for o in outcomes])
    if result.n:
        assert result.low - 1e-12 <= result.rate <= result.high + 1e-12
    assert result.rate + swapped.rate == pytest.approx(1.0)
    assert result.low == pytest.approx(1 - swapped.high, abs=1e-9)
    assert result.p_value == pytest.approx(swapped.p_value)
    assert 0.0 <= result.p_value <= 1.0 and not math.isnan(result.p_value)
