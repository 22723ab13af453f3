"""The Plan screen: choices in, memory bars, verdict, progressive plan and formulas out."""

from __future__ import annotations

import json

import pytest

from textual.widgets import Input, Select

from tests.tui.conftest import SIZE
from tests.tui.helpers import settle, text_of


async def _open_plan(app, pilot):
    app.show_screen("plan")
    await settle(app, pilot)
    return app.screen


async def test_plan_screen_updates_from_choices(make_app, project):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_plan(app, pilot)
        assert type(screen).__name__ == "PlanScreen"
        plan = screen.last_plan
        assert plan["model"] == "llama-3.1-8b" and plan["device"] == "m3-ultra-512" and plan["feasible"]
        assert "FEASIBLE" in text_of(screen.query_one("#plan-verdict"))
        bars = text_of(screen.query_one("#plan-bars"))
        assert "weights" in bars and "█" in bars and "usable" in bars
        assert [s["stage"] for s in screen.last_steps] == ["validate", "scale", "frontier"]
        assert "FLOPs per token" in text_of(screen.query_one("#plan-explanation"))

        # 70B full fine-tuning on an M1 Max: impossible, with the reason on screen.
        screen.query_one("#plan-model", Select).value = "llama-3.1-70b"
        screen.query_one("#plan-method", Select).value = "full"
        screen.query_one("#plan-device", Select).value = "m1-max"
        await settle(app, pilot)
        assert screen.last_plan["model"] == "llama-3.1-70b" and not screen.last_plan["feasible"]
        verdict = text_of(screen.query_one("#plan-verdict"))
        assert "IMPOSSIBLE" in verdict and "GiB usable" in verdict

        # 405B QLoRA on 8 H100s, typed into the form.
        screen.query_one("#plan-model", Select).value = "llama-3.1-405b"
        screen.query_one("#plan-method", Select).value = "qlora"
        screen.query_one("#plan-device", Select).value = "h100"
        gpus = screen.query_one("#plan-gpus", Input)
        gpus.focus()
        gpus.value = ""
        await pilot.press("8")
        await settle(app, pilot)
        plan = screen.last_plan
        assert plan["gpus"] == 8 and plan["feasible"] and plan["sharding"] == "zero3"
        assert 1.5 < plan["ideal_hours"] < 2.7 and plan["cost_usd"] > 0

        # Keys: hide the formulas; a bad model folder gives a sentence, not a traceback.
        await pilot.press("f6")
        assert not screen.query_one("#plan-explanation").display
        await pilot.press("f7")
        assert not screen.query_one("#plan-progressive").display
        screen.query_one("#plan-model-path", Input).value = str(project.root / "no-such-model")
        await settle(app, pilot)
        assert "Unknown model" in screen.last_error


async def test_plan_screen_reads_builds(make_app, project):
    build = project.exports / "first"
    build.mkdir(parents=True)
    (build / "card.json").write_text(json.dumps({"stages": [{"path": ".", "stats": {"tokens": {
        "method": "estimate", "total": 500_000, "by_split": {"train": 400_000}}}}]}))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_plan(app, pilot)
        assert screen.query_one("#plan-build", Select).value == "first"  # the only (newest) build, by default
        assert screen.last_plan["tokens"] == 400_000
        assert "first: 400,000 tokens (train split, estimate chars/4)" in text_of(screen.query_one("#plan-verdict"))


async def test_plan_screen_says_what_the_figures_rest_on(make_app, project):
    from core.planner import make_plan, make_request, record_run, resolve_model

    # Two runs of this project on this CPU with a 3B model, measured at half the predicted speed.
    base = make_plan(make_request("llama-3.2-3b", "this-cpu", method="qlora", seq=2048, grad_ckpt=True))
    for name in ("a", "b"):
        record_run(project.runs, model=resolve_model("llama-3.2-3b"), device="this-cpu", method="qlora",
                   tokens_per_s=base.tokens_per_s / 2, peak_gib=base.peak_memory_gib, seq=2048, batch=1,
                   grad_ckpt=True, framework="mlx", run_name=name)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_plan(app, pilot)
        verdict = text_of(screen.query_one("#plan-verdict"))
        assert "UNCALIBRATED" in verdict and "no measured run of Apple silicon" in verdict  # the Mac default

        screen.query_one("#plan-device", Select).value = "h100"
        await settle(app, pilot)
        verdict = text_of(screen.query_one("#plan-verdict"))
        assert "UNCALIBRATED" not in verdict and "measured run(s) of NVIDIA GPUs" in verdict

        screen.query_one("#plan-model", Select).value = "llama-3.2-3b"
        screen.query_one("#plan-device", Select).value = "this-cpu"
        await settle(app, pilot)
        plan = screen.last_plan
        assert plan["uncorrected"] is not None and plan["calibrated"]
        assert plan["tokens_per_s"] == pytest.approx(plan["uncorrected"]["tokens_per_s"] / 2, rel=0.02)
        verdict = text_of(screen.query_one("#plan-verdict"))
        assert "without this project's runs" in verdict and "corrected by 2 run(s)" in verdict

        # An impossible setup quotes no hours or dollars; 82,089 GPUs is refused with a sentence.
        screen.query_one("#plan-model", Select).value = "llama-3.1-70b"
        screen.query_one("#plan-method", Select).value = "full"
        screen.query_one("#plan-device", Select).value = "m1-max"
        await settle(app, pilot)
        verdict = text_of(screen.query_one("#plan-verdict"))
        assert "IMPOSSIBLE" in verdict and "$" not in verdict and screen.last_plan["hours"] is None
        screen.query_one("#plan-device", Select).value = "h100"
        screen.query_one("#plan-gpus", Input).value = "82089"
        await settle(app, pilot)
        assert "--gpus must be a whole number from 1 to 4,096" in screen.last_error
