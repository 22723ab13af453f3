"""Honesty: the often-quoted 405B speeds against the hardware's peak."""

from __future__ import annotations

import pytest

from core.planner import check_claim, make_plan, make_request


def test_405b_qlora_on_8_h100():
    at_3000 = check_claim("llama-3.1-405b", "qlora", "h100", 8, 3000)
    at_5000 = check_claim("llama-3.1-405b", "qlora", "h100", 8, 5000)
    assert at_3000.peak_flops == pytest.approx(7.91e15, rel=0.01)
    assert at_3000.required_flops == pytest.approx(7.3e15, rel=0.01)
    assert at_5000.required_flops == pytest.approx(12.1e15, rel=0.01)
    assert at_3000.possible and at_3000.implied_utilisation == pytest.approx(0.92, abs=0.01)
    assert not at_5000.possible and at_5000.implied_utilisation > 1.5
    # At 40% of peak: ~1,300 tokens/s, so 3 epochs of 3M tokens take ~2 hours, not 20-30.
    assert at_3000.tokens_per_s_at(0.40) == pytest.approx(1300, rel=0.02)
    assert 9e6 / at_3000.tokens_per_s_at(0.40) / 3600 == pytest.approx(1.9, abs=0.1)
    # The calibrated planner (attention, dequantization, per-layer overhead included) agrees.
    assert 1000 < at_3000.expected_tokens_per_s < 1400
    plan = make_plan(make_request("llama-3.1-405b", "h100", method="qlora", gpus=8, grad_ckpt=True,
                                  tokens=3_000_000, epochs=3))
    assert plan.fits and plan.feasible and plan.memory.sharding == "zero3"
    assert 1.6 < plan.ideal_hours < 2.6
    assert plan.hours == pytest.approx(plan.ideal_hours * 1.3)
    assert plan.cost_usd == pytest.approx(plan.hours * 8 * 2.5)


def test_impossible_speed_marks_the_plan_infeasible():
    plan = make_plan(make_request("llama-3.1-8b", "h100", method="lora", grad_ckpt=True, utilisation=1.0))
    assert plan.feasible  # 100% on matmuls alone still leaves elementwise time: below peak
    verdict = check_claim("llama-3.1-8b", "lora", "h100", 1, 50_000)
    assert not verdict.possible and "impossible" in " ".join(verdict.lines)
