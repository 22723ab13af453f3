"""Finished runs calibrate the planner without corrupting it: usable runs only, scoped, bounded, shown side by side."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from core.cli import main
from core.planner import load_calibration, make_plan, make_request, record_run, resolve_model
from core.planner.corrections import FACTOR_BOUNDS
from core.training.calibrate import calibrate_from_run, skip_reason
from store.records import Run

TINY_CONFIG = {"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "intermediate_size": 256,
               "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 768, "tie_word_embeddings": True}


def _train_events(n: int = 6, loss: float = 6.0, rate: float = 2600.0) -> list[dict[str, Any]]:
    """Progress lines as the worker writes them for the tiny model (figures read from a real tiny run)."""
    events: list[dict[str, Any]] = [{"event": "config", "total_iterations": 5 * n}]
    for i in range(1, n + 1):
        events.append({"event": "train", "iteration": 5 * i, "loss": loss, "it_per_s": 15.0, "tokens_per_s": rate,
                       "trained_tokens": 900 * i, "peak_memory_gb": 0.0077, "processed_tokens_per_s": rate * 1.01,
                       "padded_tokens_per_s": rate * 1.05, "mean_seq_len": 91.0, "padded_seq_len": 96.0})
    events.append({"event": "done", "iteration": 5 * n})
    return events


def _tiny_run(tmp_path: Path, name: str, **changes: Any) -> Run:
    folder = tmp_path / "tiny-model"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(json.dumps(TINY_CONFIG))
    fields: dict[str, Any] = dict(name=name, base_model=str(folder), status="done", iteration=30, total_iterations=30,
                                  peak_memory_gb=0.0077, last_train_loss=6.0,
                                  config={"method": "lora", "batch_size": 2, "max_seq_length": 96, "rank": 8,
                                          "num_layers": -1, "mask_prompt": True},
                                  events=_train_events())
    fields.update(changes)
    return Run(**fields)


def _plan_json(project: Any, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code = main(["plan", "--project", str(project.root), "--model", "llama-3.2-1b", "--method", "lora",
                 "--device", "this-cpu", "--seq", "2048", "--batch", "1", "--tokens", "100000", "--json"])
    assert code == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def test_two_tiny_model_runs_leave_a_1b_plan_alone(project: Any, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    before = _plan_json(project, capsys)
    # An old-format line (mlx-lm's loss-token rate, max_seq_length) as the previous recorder wrote it.
    project.runs.mkdir(parents=True, exist_ok=True)
    (project.runs / "calibration.jsonl").write_text(json.dumps({
        "model": "tiny", "shape": TINY_CONFIG, "method": "lora", "seq": 2048, "batch": 1, "device_key": "this-cpu",
        "framework": "mlx", "tokens_per_s": 3.0, "peak_gib": 0.007}) + "\n")
    for name in ("tiny-1", "tiny-2"):
        assert calibrate_from_run(project, _tiny_run(tmp_path, name)) is not None
    recorded = [json.loads(line) for line in (project.runs / "calibration.jsonl").read_text().splitlines()]
    assert [line.get("run") for line in recorded[1:]] == ["tiny-1", "tiny-2"]
    # All processed tokens at the padded length the steps ran at, not mlx-lm's loss tokens at max_seq_length.
    assert recorded[1]["tokens_per_s"] == pytest.approx(2600 * 1.05, rel=0.01) and recorded[1]["seq"] == 96
    assert recorded[1]["real_seq"] == 91.0 and recorded[1]["loss_tokens_per_s"] == 2600

    after = _plan_json(project, capsys)
    assert after["tokens_per_s"] == pytest.approx(before["tokens_per_s"], rel=0.01)
    assert after["peak_memory_gib"] == pytest.approx(before["peak_memory_gib"], rel=0.01)
    assert after["hours"] == pytest.approx(before["hours"], rel=0.01)
    assert after["uncorrected"] is None and after["peak_memory_gib"] < 12 and after["tokens_per_s"] > 5
    # The tiny runs do correct plans for the tiny model itself (same device, same size).
    tiny = make_request(resolve_model(str(tmp_path / "tiny-model")), "this-cpu", method="lora", seq=96, batch=2)
    assert load_calibration(project.runs).correction_for(tiny) is not None


@pytest.mark.parametrize("changes, reason", [
    (dict(status="failed"), "not done"),
    (dict(status="stopped"), "not done"),
    (dict(iteration=12), "stopped at iteration 12"),
    (dict(last_train_loss=math.nan), "NaN"),
    (dict(events=_train_events(loss=math.nan)), "NaN"),
    (dict(events=_train_events(n=2)), "fewer than 2 timed"),
    (dict(events=_train_events(n=3, rate=200.0)), "too short"),
    (dict(events=[{k: v for k, v in e.items() if k != "processed_tokens_per_s"} for e in _train_events()]),
     "older worker"),
    (dict(peak_memory_gb=0.0), "no peak memory"),
])
def test_unusable_runs_are_not_recorded(project: Any, tmp_path: Path, changes: dict[str, Any], reason: str) -> None:
    run = _tiny_run(tmp_path, "bad", **changes)
    assert reason in skip_reason(run)
    assert calibrate_from_run(project, run) is None
    assert not (project.runs / "calibration.jsonl").exists()


def test_a_similar_run_corrects_within_bounds_and_both_figures_show(project: Any,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    shape = resolve_model("llama-3.2-3b")  # 3.2B: within 2x of llama-3.2-1b's 1.24B? no (2.6x); of 3B itself, yes
    req = make_request("llama-3.2-3b", "this-cpu", method="lora", seq=1024, batch=1)
    base = make_plan(req, load_calibration(project.runs))
    for factor in (10.0, 12.0):  # ten times faster than predicted: an implausible measurement, held to 4x
        record_run(project.runs, model=shape, device="this-cpu", tokens_per_s=base.tokens_per_s * factor,
                   peak_gib=base.peak_memory_gib * 0.9, seq=1024, batch=1, framework="mlx", run_name="fast")
    cal = load_calibration(project.runs)
    plan = make_plan(make_request("llama-3.2-3b", "this-cpu", method="lora", seq=1024, batch=1, tokens=10**6), cal)
    assert plan.tokens_per_s == pytest.approx(base.tokens_per_s * FACTOR_BOUNDS[1], rel=0.01)
    assert plan.peak_memory_gib == pytest.approx(base.peak_memory_gib * 0.9, rel=0.01)
    assert plan.uncorrected is not None and plan.uncorrected.tokens_per_s == pytest.approx(base.tokens_per_s)
    assert plan.calibrated and "corrected by 2 run(s)" in plan.calibration_note
    assert any("held within 0.25-4" in line for line in plan.explanation)
    # 1B is 2.6x smaller than 3B: outside the scope, untouched.
    small = make_request("llama-3.2-1b", "this-cpu", method="lora", seq=1024, batch=1)
    assert make_plan(small, cal).tokens_per_s == make_plan(small, load_calibration()).tokens_per_s
    # The command line prints both, side by side.
    main(["plan", "--project", str(project.root), "--model", "llama-3.2-3b", "--device", "this-cpu", "--seq", "1024",
          "--tokens", "1000000"])
    out = capsys.readouterr().out
    assert "without this project's runs" in out and "[without:" in out


def test_record_run_refuses_nonsense(project: Any) -> None:
    from core.planner import PlannerError

    shape = resolve_model("llama-3.2-1b")
    for bad in (0.0, -5.0, math.nan, math.inf):
        with pytest.raises(PlannerError):
            record_run(project.runs, model=shape, device="this-cpu", tokens_per_s=bad, peak_gib=1.0, seq=8, batch=1)
    with pytest.raises(PlannerError):
        record_run(project.runs, model=shape, device="this-cpu", tokens_per_s=5.0, peak_gib=math.nan, seq=8, batch=1)
