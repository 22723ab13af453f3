"""Measured runs: the shipped H200 and Apple points, the project's own runs, and the constants fitted to them.

Three sources, one format (one JSON object per line):
  - `calibration_points.jsonl` beside this module: torch + peft LoRA on one H200 (../shared/calibration/);
  - `calibration_points_apple.jsonl`: published mlx-lm LoRA/QLoRA runs on Macs, each with the URL it was read at;
  - `runs/calibration.jsonl` in a project: every usable finished training run appends one line (`record_run`).
The step-time model (throughput.py) is linear in 1/utilisation, the traffic factor and the seconds per layer
pass, so the fit is a least-squares solve over relative errors, one fit per software stack (torch on the H200
points, mlx on the Apple points).  The project's runs do not refit anything: each becomes a measured/predicted
ratio that corrects only similar setups on its own device, within bounds (corrections.py).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Union

from core.paths import inside
from core.planner.corrections import Correction, RunRatio, correction_for, method_class
from core.planner.devices import Device, device_for_measured_name, resolve_device
from core.planner.memory import estimate_memory
from core.planner.profiles import PROFILES, FrameworkProfile
from core.planner.request import PlanRequest
from core.planner.shapes import (ALL_PROJECTIONS, ModelShape, PlannerError, Quantization, builtin_shape,
                                 shape_from_config)
from core.planner.throughput import SpeedConstants, step_features

SHIPPED_POINTS = Path(__file__).with_name("calibration_points.jsonl")
APPLE_POINTS = Path(__file__).with_name("calibration_points_apple.jsonl")
SHIPPED_SOURCE = "shipped H200 points"
APPLE_SOURCE = "published Apple points"
PROJECT_SOURCE = "project runs"
PROJECT_FILE = "calibration.jsonl"  # under the project's runs/
# Lines of runs/calibration.jsonl carry this marker since the worker reports every processed token; older lines
# hold mlx-lm's loss-token rate (answers only under --mask-prompt) and max_seq_length, so they are ignored.
PROCESSED_MARKER = "processed"

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
    url: str = ""

    @property
    def family(self) -> str:
        """The device family the point measures ("cuda", "apple", "cpu"), per software stack."""
        return f"{self.request.device.kind}/{self.request.profile.key}"


@dataclass
class Calibration:
    """Fitted speed constants per framework, the measured points, and the project's runs per device."""

    constants: dict[str, SpeedConstants]
    speed_correction: dict[str, list[RunRatio]] = field(default_factory=dict)  # device key -> usable project runs
    points: list[CalibrationPoint] = field(default_factory=list)

    def constants_for(self, profile: FrameworkProfile) -> SpeedConstants:
        return self.constants.get(profile.key) or SpeedConstants(
            profile.prior_matmul_utilisation, profile.prior_traffic_factor, profile.prior_layer_pass_s,
            source=f"prior for {profile.key} (no measured runs with this framework yet)")

    def correction_for(self, req: PlanRequest) -> Optional[Correction]:
        """The bounded correction of the project's runs that cover this request (see corrections.py)."""
        return correction_for(self.speed_correction.get(req.device.key, []), req)

    def family_points(self, req: PlanRequest) -> list[CalibrationPoint]:
        """Shipped or published points measured on this request's device family with its software stack."""
        family = f"{req.device.kind}/{req.profile.key}"
        return [p for p in self.points if p.source != PROJECT_SOURCE and p.family == family]


def _positive(value: Any) -> Optional[float]:
    number = float(value)
    return number if math.isfinite(number) and number > 0 else None


def _shape_of(obj: dict[str, Any], source: str) -> Optional[ModelShape]:
    """A point's model: its own config numbers, a `lora_throughput.py` name, or a built-in name (+ quantization)."""
    if isinstance(obj.get("shape"), dict):
        return shape_from_config(obj["shape"], name=str(obj.get("model", "model")), source=source)
    name = str(obj.get("model"))
    shape = CALIBRATION_SHAPES.get(name) or builtin_shape(name)
    quant = obj.get("quantization")
    if shape is not None and isinstance(quant, dict) and isinstance(quant.get("bits"), int):
        shape = replace(shape, quantization=Quantization(bits=int(quant["bits"]),
                                                         group_size=int(quant.get("group_size", 64))))
    return shape


def _point_from_json(obj: dict[str, Any], source: str) -> Optional[CalibrationPoint]:
    """A line of any calibration file as a point; lines with errors, unknown shapes/devices or bad numbers: None."""
    if "error" in obj or not obj.get("tokens_per_s") or obj.get("usable") is False:
        return None
    tokens_per_s = _positive(obj["tokens_per_s"])
    shape = _shape_of(obj, source)
    device = _device_of(obj)
    if shape is None or device is None or tokens_per_s is None:
        return None
    peak = float(obj.get("peak_gib") or 0.0)
    layers = obj.get("lora_layers")
    targets = obj.get("targets")
    req = PlanRequest(
        model=shape, device=device, method=str(obj.get("method", "lora")), precision=obj.get("precision"),
        gpus=int(obj.get("gpus", 1)), seq=int(obj["seq"]), batch=int(obj["batch"]),
        rank=int(obj.get("lora_rank", 16)), grad_ckpt=bool(obj.get("grad_ckpt", False)),
        lora_layers=int(layers) if isinstance(layers, int) and layers > 0 else None,
        targets=tuple(str(t) for t in targets) if isinstance(targets, list) and targets else ALL_PROJECTIONS,
        framework=obj.get("framework", "torch")).normalised()
    req.model.lora_params(req.rank, req.targets)  # unknown target names raise here, and the line is skipped
    label = (f"{obj.get('model')} {device.key} seq {req.seq} b{req.batch} r{req.rank}"
             f"{' ckpt' if req.grad_ckpt else ''}")
    return CalibrationPoint(request=req, tokens_per_s=tokens_per_s,
                            peak_gib=peak if math.isfinite(peak) and peak > 0 else 0.0, source=source, label=label,
                            url=str(obj.get("url", "")))


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
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError, PlannerError):
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
    return tuple(read_points(SHIPPED_POINTS, source=SHIPPED_SOURCE))


@lru_cache(maxsize=1)
def _apple_points() -> tuple[CalibrationPoint, ...]:
    """The published Mac runs marked usable (every number read in its source); see `published_apple_runs`."""
    return tuple(read_points(APPLE_POINTS, source=APPLE_SOURCE))


@dataclass(frozen=True)
class PublishedRun:
    """One line of `calibration_points_apple.jsonl`, usable or not, with why not (for the validation report)."""

    point: CalibrationPoint
    usable: bool
    why_not: str
    read: str


def published_apple_runs() -> list[PublishedRun]:
    """Every published Mac run in the data file, including those too incompletely published to calibrate with."""
    runs = []
    for line in APPLE_POINTS.read_text(encoding="utf-8").splitlines():
        obj = json.loads(line)
        point = _point_from_json({**obj, "usable": True}, APPLE_SOURCE)
        if point is not None:
            runs.append(PublishedRun(point=point, usable=obj.get("usable") is not False,
                                     why_not=str(obj.get("why_not", "")), read=str(obj.get("read", ""))))
    return runs


def fitted_constants(points: list[CalibrationPoint]) -> dict[str, SpeedConstants]:
    """One fit per software stack over the points measured with it."""
    constants = {}
    for key, profile in PROFILES.items():
        own = [p for p in points if p.request.profile.key == key]
        if own:
            constants[key] = fit_constants(own, profile)
    return constants


def predicted_tokens_per_s(req: PlanRequest, constants: SpeedConstants) -> float:
    """The uncorrected planner's tokens/s for a measured setup (all devices together)."""
    return req.seq * req.batch * req.gpus / step_features(req).step_seconds(constants)


def run_ratio(point: CalibrationPoint, cal: Calibration) -> RunRatio:
    """How far a project run is from the uncorrected prediction for its own setup."""
    req = point.request
    speed = point.tokens_per_s / predicted_tokens_per_s(req, cal.constants_for(req.profile))
    memory = point.peak_gib / estimate_memory(req).peak_gib if point.peak_gib > 0 else None
    return RunRatio(device=req.device.key, framework=req.profile.key, kind=method_class(req),
                    params=float(req.model.total_params), speed_ratio=speed, memory_ratio=memory, label=point.label)


def load_calibration(runs_dir: Optional[Union[str, Path]] = None) -> Calibration:
    """The shipped and published points (for the fits) plus the project's runs (scoped corrections), if given."""
    measured = [*_shipped_points(), *_apple_points()]
    cal = Calibration(constants=fitted_constants(measured), points=list(measured))
    if runs_dir is None:
        return cal
    project_points = read_project_points(project_calibration_path(runs_dir))
    cal.points.extend(project_points)
    for point in project_points:
        cal.speed_correction.setdefault(point.request.device.key, []).append(run_ratio(point, cal))
    return cal


def read_project_points(path: Path) -> list[CalibrationPoint]:
    """The project's recorded runs that count every processed token (older loss-token lines are ignored)."""
    points: list[CalibrationPoint] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return points
    for line in text.splitlines():
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict) or obj.get("counts") != PROCESSED_MARKER:
                continue
            point = _point_from_json(obj, PROJECT_SOURCE)
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError, PlannerError):
            continue
        if point is not None:
            points.append(point)
    return points


def record_run(runs_dir: Union[str, Path], *, model: ModelShape, device: Union[str, Device], tokens_per_s: float,
               peak_gib: float, seq: int, batch: int, method: str = "lora", precision: Optional[str] = None,
               rank: int = 16, grad_ckpt: bool = False, gpus: int = 1, lora_layers: Optional[int] = None,
               framework: Optional[str] = None, run_name: str = "", real_seq: Optional[float] = None,
               real_tokens_per_s: Optional[float] = None, loss_tokens_per_s: Optional[float] = None) -> Path:
    """Append one finished run's measured speed and peak memory to the project's `runs/calibration.jsonl`.

    `tokens_per_s` counts every token a step computes on (prompts and padding included) and `seq` is the padded
    length the steps really ran at, because that is what the planner's step model predicts; `real_seq`,
    `real_tokens_per_s` (no padding) and `loss_tokens_per_s` (mlx-lm's own figure) are kept for reading.
    One line, written with a single `write` in append mode, so a crash leaves at most one torn line (skipped).
    """
    dev = resolve_device(device) if isinstance(device, str) else device
    if not (math.isfinite(tokens_per_s) and tokens_per_s > 0):
        raise PlannerError(f"A run's tokens/s must be positive to calibrate the planner (got {tokens_per_s}).")
    if not math.isfinite(peak_gib) or peak_gib < 0:
        raise PlannerError(f"A run's peak memory must be a positive number to calibrate the planner (got {peak_gib}).")
    shape: dict[str, Any] = {
        "hidden_size": model.hidden, "num_hidden_layers": model.layers, "num_attention_heads": model.heads,
        "num_key_value_heads": model.kv_heads, "intermediate_size": model.intermediate, "vocab_size": model.vocab,
        "tie_word_embeddings": model.tied_embeddings}
    if model.head_dim:
        shape["head_dim"] = model.head_dim
    if model.quantization:
        shape["quantization"] = {"bits": model.quantization.bits, "group_size": model.quantization.group_size}
    line = {"model": model.name, "params_b": round(model.total_params / 1e9, 6), "shape": shape, "method": method,
            "precision": precision, "seq": seq, "batch": batch, "lora_rank": rank, "grad_ckpt": grad_ckpt,
            "gpus": gpus, "lora_layers": lora_layers, "framework": framework or dev.framework, "device_key": dev.key,
            "device": dev.name, "counts": PROCESSED_MARKER, "tokens_per_s": round(float(tokens_per_s), 3),
            "real_seq": None if real_seq is None else round(real_seq, 1),
            "real_tokens_per_s": None if real_tokens_per_s is None else round(real_tokens_per_s, 3),
            "loss_tokens_per_s": None if loss_tokens_per_s is None else round(loss_tokens_per_s, 3),
            "peak_gib": round(float(peak_gib), 3), "run": run_name,
            "recorded": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    path = inside(runs_dir, PROJECT_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")
    return path
