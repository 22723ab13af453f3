"""Measured runs: the shipped H200 points and the project's own runs, and the constants fitted to them.

Two sources, one format (one JSON object per line):
  - `calibration_points.jsonl` beside this module: torch + peft LoRA on one H200 (../shared/calibration/);
  - `runs/calibration.jsonl` in a project: every completed training run appends one line (`record_run`).
The step-time model (throughput.py) is linear in 1/utilisation, the traffic factor and the seconds per layer
pass, so the fit is a least-squares solve over relative errors.  Where a device has project runs, the
planner's prediction for it is further scaled by the median measured/predicted ratio of those runs.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Union

from core.planner.devices import Device, device_for_measured_name, resolve_device
from core.planner.memory import estimate_memory
from core.planner.profiles import PROFILES, FrameworkProfile
from core.planner.request import PlanRequest
from core.planner.shapes import ModelShape, PlannerError, shape_from_config
from core.planner.throughput import SpeedConstants, step_features

SHIPPED_POINTS = Path(__file__).with_name("calibration_points.jsonl")
PROJECT_FILE = "calibration.jsonl"  # under the project's runs/

# The shapes `lora_throughput.py` built (vocab 128256 for all, only the 1B tied), by the name in its output.
CALIBRATION_SHAPES: dict[str, ModelShape] = {
    name: ModelShape(name=name, hidden=h, layers=layers, heads=heads, kv_heads=8, intermediate=i, vocab=128256,
                     tied_embeddings=name == "llama-1b", source="lora_throughput.py")
    for name, h, layers, heads, i in [("llama-1b", 2048, 16, 32, 8192), ("llama-3b", 3072, 28, 24, 8192),
                                      ("llama-8b", 4096, 32, 32, 14336), ("qwen-14b", 5120, 48, 40, 13824),
                                      ("qwen-32b", 5120, 64, 40, 27648)]}


@dataclass(frozen=True)
class CalibrationPoint:
    """One measured run and the request that reproduces its setup."""

    request: PlanRequest
    tokens_per_s: float
    peak_gib: float
    source: str
    label: str


@dataclass
class Calibration:
    """Fitted speed constants per framework and per-device corrections from the project's runs."""

    constants: dict[str, SpeedConstants]
    speed_correction: dict[str, tuple[float, int]] = field(default_factory=dict)  # device key -> (ratio, runs)
    memory_correction: dict[str, tuple[float, int]] = field(default_factory=dict)
    points: list[CalibrationPoint] = field(default_factory=list)

    def constants_for(self, profile: FrameworkProfile) -> SpeedConstants:
        return self.constants.get(profile.key) or SpeedConstants(
            profile.prior_matmul_utilisation, profile.prior_traffic_factor, profile.prior_layer_pass_s,
            source=f"prior for {profile.key} (no measured runs with this framework yet)")


def _point_from_json(obj: dict[str, Any], source: str) -> Optional[CalibrationPoint]:
    """A line of either file as a point; lines with errors or unknown shapes/devices are skipped."""
    if "error" in obj or not obj.get("tokens_per_s"):
        return None
    if isinstance(obj.get("shape"), dict):
        shape = shape_from_config(obj["shape"], name=str(obj.get("model", "model")), source=source)
    else:
        shape = CALIBRATION_SHAPES.get(str(obj.get("model")))
    device = _device_of(obj)
    if shape is None or device is None:
        return None
    req = PlanRequest(
        model=shape, device=device, method=str(obj.get("method", "lora")), precision=obj.get("precision"),
        gpus=int(obj.get("gpus", 1)), seq=int(obj["seq"]), batch=int(obj["batch"]),
        rank=int(obj.get("lora_rank", 16)), grad_ckpt=bool(obj.get("grad_ckpt", False)),
        lora_layers=obj.get("lora_layers"), framework=obj.get("framework", "torch")).normalised()
    label = f"{obj.get('model')} seq {req.seq} b{req.batch} r{req.rank}{' ckpt' if req.grad_ckpt else ''}"
    return CalibrationPoint(request=req, tokens_per_s=float(obj["tokens_per_s"]),
                            peak_gib=float(obj.get("peak_gib") or 0.0), source=source, label=label)


def _device_of(obj: dict[str, Any]) -> Optional[Device]:
    key = obj.get("device_key")
    if key:
        try:
            return resolve_device(str(key))
        except PlannerError:
            return None
    return device_for_measured_name(str(obj.get("device", "")))


def read_points(path: Path, source: Optional[str] = None) -> list[CalibrationPoint]:
    """Every usable line of a calibration file (a torn or foreign line is skipped, never fatal)."""
    points: list[CalibrationPoint] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return points
    for line in text.splitlines():
        try:
            obj = json.loads(line)
            point = _point_from_json(obj, source or path.name) if isinstance(obj, dict) else None
        except (ValueError, KeyError, TypeError, PlannerError):
            continue
        if point is not None:
            points.append(point)
    return points


def _solve3(rows: list[list[float]], targets: list[float]) -> Optional[list[float]]:
    """Least squares for three unknowns by the normal equations (Cramer's rule)."""
    ata = [[sum(r[i] * r[j] for r in rows) for j in range(3)] for i in range(3)]
    atb = [sum(r[i] * t for r, t in zip(rows, targets)) for i in range(3)]

    def det(m: list[list[float]]) -> float:
        return (m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]))

    d = det(ata)
    if abs(d) < 1e-300:
        return None
    out = []
    for k in range(3):
        m = [row[:] for row in ata]
        for i in range(3):
            m[i][k] = atb[i]
        out.append(det(m) / d)
    return out


def fit_constants(points: list[CalibrationPoint], profile: FrameworkProfile) -> SpeedConstants:
    """Fit utilisation, traffic factor and per-layer seconds to the points; priors where that is not possible."""
    rows, targets = [], []
    for p in points:
        f = step_features(p.request)
        measured = p.request.seq * p.request.batch / p.tokens_per_s
        known = f.raw_bytes / f.bandwidth
        # Relative errors: divide each row by the measured time so large and small steps weigh the same.
        rows.append([f.flops / f.peak_flops / measured, f.traffic_bytes / f.bandwidth / measured,
                     f.layer_passes / measured])
        targets.append((measured - known) / measured)
    solution = _solve3(rows, targets) if len(rows) >= 3 else None
    if solution is None or min(solution) <= 0 or solution[0] < 1.0:
        return SpeedConstants(profile.prior_matmul_utilisation, profile.prior_traffic_factor,
                              profile.prior_layer_pass_s, source=f"prior for {profile.key} ({len(rows)} points)")
    inv_u, traffic, layer_s = solution
    return SpeedConstants(1.0 / inv_u, traffic, layer_s, source=f"fitted to {len(rows)} measured points")


def project_calibration_path(runs_dir: Union[str, Path]) -> Path:
    return Path(runs_dir) / PROJECT_FILE


@lru_cache(maxsize=1)
def _shipped_points() -> tuple[CalibrationPoint, ...]:
    return tuple(read_points(SHIPPED_POINTS, source="shipped H200 points"))


def load_calibration(runs_dir: Optional[Union[str, Path]] = None) -> Calibration:
    """The shipped points (for the fit) plus the project's runs (per-device corrections), if a project is given."""
    shipped = list(_shipped_points())
    constants = {}
    for key, profile in PROFILES.items():
        own = [p for p in shipped if p.request.profile.key == key]
        if own:
            constants[key] = fit_constants(own, profile)
    cal = Calibration(constants=constants, points=list(shipped))
    if runs_dir is None:
        return cal
    project_points = read_points(project_calibration_path(runs_dir), source="project runs")
    cal.points.extend(project_points)
    by_device: dict[str, list[CalibrationPoint]] = {}
    for p in project_points:
        by_device.setdefault(p.request.device.key, []).append(p)
    for key, pts in by_device.items():
        speed, mem = [], []
        for p in pts:
            consts = cal.constants_for(p.request.profile)
            predicted = p.request.seq * p.request.batch * p.request.gpus / step_features(p.request).step_seconds(consts)
            speed.append(p.tokens_per_s / predicted)
            if p.peak_gib > 0:
                mem.append(p.peak_gib / estimate_memory(p.request).peak_gib)
        cal.speed_correction[key] = (statistics.median(speed), len(speed))
        if mem:
            cal.memory_correction[key] = (statistics.median(mem), len(mem))
    return cal


def record_run(runs_dir: Union[str, Path], *, model: ModelShape, device: Union[str, Device], tokens_per_s: float,
               peak_gib: float, seq: int, batch: int, method: str = "lora", precision: Optional[str] = None,
               rank: int = 16, grad_ckpt: bool = False, gpus: int = 1, lora_layers: Optional[int] = None,
               framework: Optional[str] = None, run_name: str = "") -> Path:
    """Append one completed run's measured speed and peak memory to the project's `runs/calibration.jsonl`.

    Called by the training runner when a run finishes, so the planner learns this machine. One line, written
    with a single `write` in append mode, so a crash leaves at most one torn line (which readers skip).
    """
    dev = resolve_device(device) if isinstance(device, str) else device
    if tokens_per_s <= 0:
        raise PlannerError(f"A run's tokens/s must be positive to calibrate the planner (got {tokens_per_s}).")
    shape = {"hidden_size": model.hidden, "num_hidden_layers": model.layers, "num_attention_heads": model.heads,
             "num_key_value_heads": model.kv_heads, "intermediate_size": model.intermediate,
             "vocab_size": model.vocab, "tie_word_embeddings": model.tied_embeddings}
    if model.head_dim:
        shape["head_dim"] = model.head_dim
    if model.quantization:
        shape["quantization"] = {"bits": model.quantization.bits, "group_size": model.quantization.group_size}
    line = {"model": model.name, "shape": shape, "method": method, "precision": precision, "seq": seq,
            "batch": batch, "lora_rank": rank, "grad_ckpt": grad_ckpt, "gpus": gpus, "lora_layers": lora_layers,
            "framework": framework or dev.framework, "device_key": dev.key, "device": dev.name,
            "tokens_per_s": round(float(tokens_per_s), 3), "peak_gib": round(float(peak_gib), 3),
            "run": run_name, "recorded": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    path = project_calibration_path(runs_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")
    return path
