"""Feed a finished run's measured speed and memory back to the planner, only when the run measured something.

The planner's estimates for this machine start from vendor figures and fits to measured runs; each usable
completed local run adds one line to `runs/calibration.jsonl`, which corrects plans for similar models on this
machine (see `core.planner.corrections`).  WHY so careful: a run that failed, stopped early, went NaN or was too
short to time says nothing about speed, and mlx-lm's own tokens/s counts loss tokens only (answers only under
--mask-prompt), so the worker's count of every processed token and the real padded lengths are used instead.
"""

from __future__ import annotations

import json
import logging
import math
import statistics
from pathlib import Path
from typing import Any, Optional

from store.records import Run

log = logging.getLogger(__name__)

MIN_TIMED_REPORTS = 2  # train reports after the first (which includes compilation and warm-up)
MIN_TIMED_TOKENS = 2048  # processed tokens in those reports
MIN_TIMED_SECONDS = 1.0


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _train_events(run: Run) -> list[dict[str, Any]]:
    return [e for e in run.events if isinstance(e, dict) and e.get("event") == "train"]


def skip_reason(run: Run) -> str:
    """Why this run cannot calibrate the planner, as a sentence; "" when it can."""
    if run.status != "done":
        return f"the run is {run.status or 'unfinished'}, not done"
    if run.total_iterations and run.iteration < run.total_iterations:
        return f"the run stopped at iteration {run.iteration} of {run.total_iterations}"
    events = [e for e in run.events if isinstance(e, dict)]
    losses = [e.get(k) for e in events for k in ("loss", "val_loss") if k in e]
    losses += [v for v in (run.last_train_loss, run.last_val_loss) if v is not None]
    if any(not _finite(v) for v in losses):
        return "a loss was NaN or infinite"
    if any(e.get("event") == "error" for e in events):
        return "the run reported an error"
    timed = _timed_reports(run)
    if len(timed) < MIN_TIMED_REPORTS:
        if _train_events(run) and not any("processed_tokens_per_s" in e for e in _train_events(run)):
            return "its progress lines lack the processed-token counts (recorded by an older worker)"
        return f"fewer than {MIN_TIMED_REPORTS} timed progress reports after the first"
    tokens = sum(float(e["padded_tokens_per_s"]) * seconds for e, seconds in timed)
    seconds = sum(seconds for _, seconds in timed)
    if tokens < MIN_TIMED_TOKENS or seconds < MIN_TIMED_SECONDS:
        return f"too short to time ({tokens:,.0f} tokens in {seconds:.2f} s)"
    if run.peak_memory_gb <= 0 or not _finite(run.peak_memory_gb):
        return "no peak memory was measured"
    return ""


def _timed_reports(run: Run) -> list[tuple[dict[str, Any], float]]:
    """(report, its window's seconds) for train reports after the first, with positive, finite figures.

    A window's seconds are its loss tokens (the rise of `trained_tokens`) over mlx-lm's loss-token rate: exactly
    the time mlx-lm measured, validation excluded.
    """
    events = _train_events(run)
    timed = []
    for before, event in zip(events, events[1:]):
        keys = ("processed_tokens_per_s", "padded_tokens_per_s", "mean_seq_len", "padded_seq_len", "tokens_per_s",
                "trained_tokens")
        if not all(_finite(event.get(k)) and float(event[k]) > 0 for k in keys) or not _finite(
                before.get("trained_tokens")):
            continue
        seconds = (float(event["trained_tokens"]) - float(before["trained_tokens"])) / float(event["tokens_per_s"])
        if seconds > 0:
            timed.append((event, seconds))
    return timed


def _recorded(runs_dir: Path, run_name: str) -> bool:
    """Whether `runs/calibration.jsonl` has a line for this run already.

    WHY: every runner following a run hears its "done" (`interiority train` in a terminal and the studio that
    re-attached to it), and a run counted twice weighs twice in the planner's corrections.
    """
    from core.planner.calibration import project_calibration_path

    try:
        lines = project_calibration_path(runs_dir).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    for line in lines:
        try:
            recorded = json.loads(line)
        except ValueError:
            continue  # a torn line (the planner skips it too)
        if isinstance(recorded, dict) and recorded.get("run") == run_name:
            return True
    return False


def calibrate_from_run(project: Any, run: Run) -> Optional[Path]:
    """Append the run to `runs/calibration.jsonl`; None (and a log line saying why) when it cannot be used.

    Never raises: a calibration problem must not turn a finished run into a failed one.
    """
    try:
        reason = skip_reason(run)
        if reason:
            log.info("run %s not added to the planner's calibration: %s", run.name, reason)
            return None
        from core.planner import record_run, shape_from_folder, this_machine

        if _recorded(project.runs, run.name):
            log.info("run %s is in the planner's calibration already", run.name)
            return None
        timed = [e for e, _ in _timed_reports(run)]
        config = run.config or {}
        method = str(config.get("method", "lora"))
        shape = shape_from_folder(Path(run.base_model))
        if method == "lora" and shape.quantization:
            method = "qlora"
        layers = config.get("num_layers")
        return record_run(
            project.runs, model=shape, device=this_machine(),
            tokens_per_s=statistics.median(float(e["padded_tokens_per_s"]) for e in timed),
            peak_gib=run.peak_memory_gb * 1e9 / 2**30,
            seq=max(1, round(statistics.median(float(e["padded_seq_len"]) for e in timed))),
            batch=int(config.get("batch_size", 1)), method=method, rank=int(config.get("rank", 8)),
            grad_ckpt=bool(config.get("grad_checkpoint", False)),
            lora_layers=layers if isinstance(layers, int) and layers > 0 else None, framework="mlx",
            run_name=run.name, real_seq=statistics.median(float(e["mean_seq_len"]) for e in timed),
            real_tokens_per_s=statistics.median(float(e["processed_tokens_per_s"]) for e in timed),
            loss_tokens_per_s=statistics.median(float(e.get("tokens_per_s") or 0.0) for e in timed))
    except Exception as exc:  # noqa: BLE001 - see the docstring
        log.warning("run %s not added to the planner's calibration: %s", run.name, exc)
        return None
