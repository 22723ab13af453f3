"""A plan: memory, speed, time and cost of one setup, whether it fits and whether it is physically possible.

Every number carries the formula and inputs that made it (`Plan.explanation`), and every "no" carries a
sentence saying why (`Plan.reasons`).  `check_claim` tests a quoted speed against the hardware's peak.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Optional

from core.planner.calibration import Calibration, load_calibration
from core.planner.corrections import Correction
from core.planner.devices import GIB, Device
from core.planner.memory import MemoryEstimate, estimate_memory
from core.planner.request import FAILED_RUN_OVERHEAD, PlanRequest, make_request
from core.planner.shapes import ModelShape
from core.planner.throughput import SpeedConstants, step_features


@dataclass(frozen=True)
class PlanFigures:
    """The headline numbers of a plan, so that the corrected and uncorrected ones can be shown side by side."""

    tokens_per_s: float
    peak_memory_gib: float
    hours: Optional[float]
    cost_usd: Optional[float]
    fits: bool

    def to_dict(self) -> dict[str, Any]:
        return {"tokens_per_s": round(self.tokens_per_s, 1), "peak_memory_gib": round(self.peak_memory_gib, 2),
                "hours": None if self.hours is None else round(self.hours, 3),
                "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 2), "fits": self.fits}


@dataclass
class Plan:
    """The planner's answer for one request (see `to_dict` for the JSON the CLI prints)."""

    request: PlanRequest
    memory: MemoryEstimate
    tokens_per_s: float  # all devices together
    step_seconds: float
    time_breakdown: dict[str, float]
    achieved_flops: float  # all devices together
    utilisation: float  # achieved / peak
    ideal_hours: Optional[float]
    hours: Optional[float]  # with the failed-run overhead
    cost_usd: Optional[float]
    price_per_hour: float
    fits: bool
    feasible: bool
    reasons: list[str] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    speed_source: str = ""
    calibrated: bool = False  # some figure rests on a measured run of this device family (or this device)
    calibration_note: str = ""  # one sentence for the headline: what the figures rest on
    uncorrected: Optional[PlanFigures] = None  # the same plan without the project's runs (None: none applied)

    @property
    def peak_memory_gib(self) -> float:
        return self.memory.peak_gib

    @property
    def figures(self) -> PlanFigures:
        return PlanFigures(tokens_per_s=self.tokens_per_s, peak_memory_gib=self.peak_memory_gib, hours=self.hours,
                           cost_usd=self.cost_usd, fits=self.fits)

    def to_dict(self) -> dict[str, Any]:
        r = self.request
        return {
            "model": r.model.name, "params_b": round(r.model.total_params / 1e9, 3), "method": r.method,
            "precision": r.precision, "device": r.device.key, "device_name": r.device.name, "gpus": r.gpus,
            "framework": r.profile.key, "seq": r.seq, "batch": r.batch, "rank": r.rank, "grad_ckpt": r.grad_ckpt,
            "sharding": self.memory.sharding, "gradient_accumulation": r.gradient_accumulation,
            "peak_memory_gib": round(self.peak_memory_gib, 2),
            "usable_memory_gib": round(r.device.usable_memory_gib, 1),
            "memory_components_gib": self.memory.components_gib(),
            "tokens_per_s": round(self.tokens_per_s, 1), "step_seconds": round(self.step_seconds, 4),
            "time_breakdown_s": {k: round(v, 4) for k, v in self.time_breakdown.items()},
            "achieved_tflops": round(self.achieved_flops / 1e12, 1), "utilisation": round(self.utilisation, 3),
            "tokens": r.tokens, "epochs": r.epochs, "failed_run_overhead": FAILED_RUN_OVERHEAD,
            "ideal_hours": None if self.ideal_hours is None else round(self.ideal_hours, 3),
            "hours": None if self.hours is None else round(self.hours, 3),
            "price_per_hour": self.price_per_hour,
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 2),
            "fits": self.fits, "feasible": self.feasible, "reasons": list(self.reasons),
            "explanation": list(self.explanation), "speed_source": self.speed_source,
            "calibrated": self.calibrated, "calibration_note": self.calibration_note,
            "uncorrected": self.uncorrected.to_dict() if self.uncorrected else None,
        }


def _sharding_for(req: PlanRequest) -> str:
    """"auto": ZeRO-2 on several GPUs when it fits, else ZeRO-3; Macs and CPUs replicate (data-parallel)."""
    if req.gpus == 1:
        return "none"
    if req.sharding != "auto":
        return req.sharding
    if req.device.kind != "cuda":
        return "none"
    if estimate_memory(req, "zero2").peak_gib <= req.device.usable_memory_gib:
        return "zero2"
    return "zero3"


def _impossible_reasons(req: PlanRequest, sharding: str) -> list[str]:
    reasons = []
    if req.method == "full" and req.quantized:
        reasons.append(f"Full fine-tuning updates every weight, which a {req.precision} base cannot hold; use "
                       f"--precision bf16 (or fp32), or --method qlora.")
    if req.gpus > 1 and req.device.kind == "cpu":
        reasons.append("This CPU is one machine; --gpus above 1 needs GPUs or several Macs.")
    if req.profile.key == "mlx" and req.device.kind == "cuda":
        reasons.append("mlx-lm runs on Apple silicon and CPUs, not NVIDIA GPUs; use the torch framework there.")
    if sharding == "zero3" and req.device.kind == "apple":
        reasons.append("MLX distributed training is data-parallel only: every Mac must hold the whole model "
                       "(no ZeRO-3/FSDP sharding).")
    return reasons


MIN_FAMILY_POINTS = 4  # measured runs of a device family before its figures count as calibrated
FAMILY_NAMES = {"cuda/torch": "NVIDIA GPUs with torch", "apple/mlx": "Apple silicon with mlx-lm",
                "cpu/mlx": "CPUs with mlx-lm"}


def _hours_and_cost(req: PlanRequest, tokens_per_s: float, price: float) -> tuple[Optional[float], Optional[float],
                                                                                 Optional[float]]:
    if not req.tokens or tokens_per_s <= 0:
        return None, None, None
    ideal = req.tokens * req.epochs / tokens_per_s / 3600
    hours = ideal * FAILED_RUN_OVERHEAD
    return ideal, hours, hours * req.gpus * price


def _calibration_note(req: PlanRequest, cal: Calibration, correction: Optional[Correction]) -> tuple[bool, str]:
    """Whether the figures rest on any measured run of this device family, and the headline sentence saying so."""
    family = f"{req.device.kind}/{req.profile.key}"
    name = FAMILY_NAMES.get(family, family)
    points = cal.family_points(req)
    if len(points) < MIN_FAMILY_POINTS:
        points = []  # one or two runs cannot pin three constants: say so rather than imply a calibration
    parts = []
    if points:
        devices = sorted({p.request.device.key for p in points})
        parts.append(f"calibrated on {len(points)} measured run(s) of {name} ({', '.join(devices)})")
    if correction is not None:
        parts.append(f"corrected by {correction.runs} run(s) of this project on {req.device.key}")
    if req.method == "inference":
        parts.append("decoding modelled as memory-bound (no measured decode point)")
    if not points and correction is None:
        unused = ("; the published Mac runs found lack a sequence length or batch, or are physically impossible "
                  "(calibration_points_apple.jsonl)" if req.device.kind == "apple" else "")
        return False, (f"no measured run of {name} backs these figures: vendor peaks and {req.profile.key} priors "
                       f"only{unused}; a finished run on this device corrects them")
    return True, "; ".join(parts)


def make_plan(req: PlanRequest, calibration: Optional[Calibration] = None) -> Plan:
    """Memory, speed, time, cost, fit and feasibility for one normalised request.

    The project's own runs correct memory and speed only for similar setups on the same device, within bounds
    (corrections.py); when they do, `uncorrected` holds the figures without them, for side-by-side display. An
    impossible plan quotes no hours and no cost.
    """
    req = req.normalised()
    cal = calibration or load_calibration()
    dev = req.device
    sharding = _sharding_for(req)
    memory = estimate_memory(req, sharding)
    explanation = [req.model.describe(), f"device: {dev.name} x {req.gpus}; framework: {req.profile.name}",
                   *memory.explanation]
    correction = cal.correction_for(req) if req.utilisation is None else None
    base_memory_gib = memory.peak_gib
    if correction is not None and correction.memory is not None:
        memory.components = {k: v * correction.memory for k, v in memory.components.items()}
        explanation.append(f"memory x{correction.memory:.2f}: {correction.describe(dev.key)}")
    explanation.append(f"peak memory per device: {memory.peak_gib:,.1f} GiB of {dev.usable_memory_gib:,.1f} GiB usable")

    consts: SpeedConstants = cal.constants_for(req.profile)
    if req.utilisation is not None:
        consts = replace(consts, matmul_utilisation=req.utilisation, source="utilisation given by the user")
    feats = step_features(req, sharding)
    times = feats.times(consts)
    base_step = feats.step_seconds(consts)
    step = base_step
    speed_source = f"{consts.source}; {req.profile.calibrated_by or 'no shipped points for this framework'}"
    if correction is not None:
        step = base_step / correction.speed
        speed_source += f"; {correction.describe(dev.key)}"
    tokens_per_device_step = req.batch if req.method == "inference" else req.seq * req.batch
    tokens_per_s = tokens_per_device_step * req.gpus / step
    base_tokens_per_s = tokens_per_device_step * req.gpus / base_step
    achieved = feats.flops / step * req.gpus
    peak_total = feats.peak_flops * req.gpus
    utilisation = achieved / peak_total
    explanation.extend(feats.lines)
    overlap = "max" if feats.overlapped else "+"
    explanation.append(
        f"step time per device: {overlap}(" + ", ".join(f"{k} {v:.4f} s" for k, v in times.items() if v > 0)
        + f") = {base_step:.4f} s (utilisation {consts.matmul_utilisation:.0%} on matrix products, traffic "
        f"x{consts.traffic_factor:.1f}, {consts.layer_pass_s * 1e3:.2f} ms per layer pass: {consts.source})")
    if correction is not None:
        explanation.append(f"speed x{correction.speed:.2f}: {correction.describe(dev.key)}; step {step:.4f} s")
    if feats.comm_seconds > sum(times.values()):
        explanation.append(f"communication ({feats.comm_seconds:.3f} s) is longer than compute and sets the step")
    explanation.append(f"speed: {tokens_per_s:,.0f} tokens/s = {achieved / 1e12:,.0f} TFLOP/s achieved of "
                       f"{peak_total / 1e12:,.0f} peak ({utilisation:.0%})")

    reasons = _impossible_reasons(req, sharding)
    fits = memory.peak_gib <= dev.usable_memory_gib
    if not fits:
        reasons.append(_memory_reason(req, memory, sharding))
    if utilisation > 1.0:
        reasons.append(f"Needs {achieved / 1e12:,.0f} TFLOP/s, more than the {peak_total / 1e12:,.0f} TFLOP/s peak.")

    price = req.price_per_hour if req.price_per_hour is not None else dev.price_per_hour
    ideal_hours = hours = cost = None
    if req.tokens and reasons:
        explanation.append("time and cost: not quoted, because this setup is impossible as asked")
    elif req.tokens:
        ideal_hours, hours, cost = _hours_and_cost(req, tokens_per_s, price)
        assert hours is not None and ideal_hours is not None and cost is not None
        explanation.append(f"time: {req.tokens:,} tokens x {req.epochs:g} epochs / {tokens_per_s:,.0f} tokens/s = "
                           f"{ideal_hours:,.2f} h; x {FAILED_RUN_OVERHEAD} for failed runs and reruns = {hours:,.2f} h")
        explanation.append(f"cost: {hours:,.2f} h x {req.gpus} device(s) x ${price:,.2f}/h = ${cost:,.2f}"
                           + (" (owned hardware: pass --price-per-hour for power or amortisation)" if price == 0 else ""))
    uncorrected = None
    if correction is not None:
        base_fits = base_memory_gib <= dev.usable_memory_gib
        _, base_hours, base_cost = (_hours_and_cost(req, base_tokens_per_s, price)
                                    if not _impossible_reasons(req, sharding) and base_fits else (None, None, None))
        uncorrected = PlanFigures(tokens_per_s=base_tokens_per_s, peak_memory_gib=base_memory_gib, hours=base_hours,
                                  cost_usd=base_cost, fits=base_fits)
    calibrated, note = _calibration_note(req, cal, correction)
    return Plan(request=req, memory=memory, tokens_per_s=tokens_per_s, step_seconds=step, time_breakdown=times,
                achieved_flops=achieved, utilisation=utilisation, ideal_hours=ideal_hours, hours=hours,
                cost_usd=cost, price_per_hour=price, fits=fits, feasible=not reasons, reasons=reasons,
                explanation=explanation, speed_source=speed_source, calibrated=calibrated,
                calibration_note=note, uncorrected=uncorrected)


def _memory_reason(req: PlanRequest, memory: MemoryEstimate, sharding: str) -> str:
    dev = req.device
    hints = []
    if req.method in ("lora", "dora", "full") and not req.quantized:
        hints.append("a 4-bit base (QLoRA)")
    if not req.grad_ckpt and req.method != "inference":
        hints.append("gradient checkpointing")
    if req.batch > 1 or req.seq > 1024:
        hints.append("a smaller batch or sequence")
    if dev.kind == "cuda" and sharding != "zero3":
        hints.append("more GPUs with ZeRO-3")
    biggest = max(memory.components, key=lambda k: memory.components[k])
    return (f"Needs {memory.peak_gib:,.1f} GiB per device but {dev.name} has {dev.usable_memory_gib:,.1f} GiB "
            f"usable (largest part: {biggest} {memory.components[biggest] / GIB:,.1f} GiB)"
            + (f"; try {', '.join(hints)}." if hints else "."))


@dataclass
class ClaimVerdict:
    """Whether a quoted tokens/s is physically possible, and what to expect instead."""

    claimed_tokens_per_s: float
    required_flops: float  # lower bound: matrix products only, attention left out
    peak_flops: float
    implied_utilisation: float
    possible: bool
    expected_tokens_per_s: float  # the calibrated planner's estimate for the same setup
    expected_utilisation: float
    lines: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"claimed_tokens_per_s": self.claimed_tokens_per_s,
                "required_pflops": round(self.required_flops / 1e15, 3), "peak_pflops": round(self.peak_flops / 1e15, 3),
                "implied_utilisation": round(self.implied_utilisation, 3), "possible": self.possible,
                "expected_tokens_per_s": round(self.expected_tokens_per_s, 1),
                "expected_utilisation": round(self.expected_utilisation, 3), "explanation": self.lines}

    def tokens_per_s_at(self, utilisation: float) -> float:
        """The speed this setup would reach at a given share of the peak (same FLOPs-per-token bound)."""
        return utilisation * self.peak_flops * self.claimed_tokens_per_s / self.required_flops


def check_claim(model: str | ModelShape, method: str, device: str | Device, gpus: int, tokens_per_s: float,
                grad_ckpt: bool = True, seq: int = 2048, precision: Optional[str] = None,
                calibration: Optional[Calibration] = None) -> ClaimVerdict:
    """Test a quoted training speed against the devices' dense peak.

    The bound counts matrix-product FLOPs only (6N with checkpointing, 4N without, for adapters; 6N / 8N for
    full fine-tuning), so "impossible" holds even before attention, communication and dequantization.
    """
    req = make_request(model, device, method=method, gpus=gpus, grad_ckpt=grad_ckpt, seq=seq, precision=precision)
    n = req.model.matmul_params
    if req.trains_adapters:
        mult = 6.0 if grad_ckpt else 4.0
    elif req.method == "inference":
        mult = 2.0
    else:
        mult = 8.0 if grad_ckpt else 6.0
    per_token = mult * n
    required = per_token * tokens_per_s
    peak = req.device.peak_flops(req.precision or "bf16") * gpus
    implied = required / peak
    plan = make_plan(req, calibration)
    lines = [f"{req.model.name} {req.method}{' with gradient checkpointing' if grad_ckpt else ''}: at least "
             f"{mult:g}N = {mult:g} x {n / 1e9:.1f}e9 = {per_token / 1e12:,.2f} TFLOP per token",
             f"claimed {tokens_per_s:,.0f} tokens/s needs {required / 1e15:,.2f} PFLOP/s; {gpus} x {req.device.name} "
             f"peak {peak / 1e15:,.2f} PFLOP/s dense -> {implied:.0%} utilisation",
             ("impossible: more than the hardware's peak" if implied > 1 else
              "possible only with exceptional efficiency" if implied > 0.6 else "plausible"),
             f"the calibrated planner expects {plan.tokens_per_s:,.0f} tokens/s ({plan.utilisation:.0%} of peak)"]
    return ClaimVerdict(claimed_tokens_per_s=tokens_per_s, required_flops=required, peak_flops=peak,
                        implied_utilisation=implied, possible=implied <= 1.0, expected_tokens_per_s=plan.tokens_per_s,
                        expected_utilisation=plan.utilisation, lines=lines)
