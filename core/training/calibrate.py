"""Feed a finished run's measured speed and memory back to the planner.

The planner's estimates for this machine start from vendor figures and a fit to
GPU runs; each completed local run corrects them (see `core.planner.calibration`).
"""

from __future__ import annotations

import logging
import statistics
from pathlib import Path
from typing import Any, Optional

from store.records import Run

log = logging.getLogger(__name__)


def calibrate_from_run(project: Any, run: Run) -> Optional[Path]:
    """Append the run to `runs/calibration.jsonl`; None (and a log line) when it cannot be used.

    Never raises: a calibration problem must not turn a finished run into a failed one.
    """
    try:
        from core.planner import record_run, shape_from_folder, this_machine

        rates = [float(e.get("tokens_per_s") or 0) for e in run.events if e.get("event") == "train"]
        rates = [r for r in rates if r > 0]
        if not rates or run.peak_memory_gb <= 0:
            return None
        config = run.config or {}
        method = str(config.get("method", "lora"))
        shape = shape_from_folder(run.base_model)
        if method == "lora" and shape.quantization:
            method = "qlora"
        return record_run(
            project.runs, model=shape, device=this_machine(), tokens_per_s=statistics.median(rates),
            peak_gib=run.peak_memory_gb * 1e9 / 2**30, seq=int(config.get("max_seq_length", 2048)),
            batch=int(config.get("batch_size", 1)), method=method, rank=int(config.get("rank", 8)),
            grad_ckpt=bool(config.get("grad_checkpoint", False)), lora_layers=config.get("num_layers"),
            framework="mlx", run_name=run.name)
    except Exception as exc:  # noqa: BLE001 - see the docstring
        log.warning("run %s not added to the planner's calibration: %s", run.name, exc)
        return None
