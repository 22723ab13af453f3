"""What the user asks the planner: one fine-tune (or inference) setup, checked and normalised once."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from core.planner.devices import Device, resolve_device
from core.planner.profiles import PROFILES, FrameworkProfile
from core.planner.shapes import ALL_PROJECTIONS, ModelShape, PlannerError, resolve_model

METHODS = ("lora", "qlora", "dora", "full", "inference")
PRECISIONS = ("fp32", "bf16", "fp16", "int8", "4bit")
SHARDINGS = ("auto", "none", "zero2", "zero3", "fsdp")
FAILED_RUN_OVERHEAD = 1.3  # reruns, crashes and evaluation on top of the ideal GPU time (stated, not measured)

# What the planner accepts. WHY bounds: a typo (82,089 GPUs, a 10^30-token dataset) must get a sentence, not a
# confident "FEASIBLE" plan; the largest published training clusters are a few tens of thousands of GPUs, but a
# fine-tune beyond 4,096 devices is far outside anything this tool's estimates were checked against.
LIMITS: dict[str, tuple[int, int]] = {"gpus": (1, 4096), "seq": (1, 1_048_576), "batch": (1, 4096),
                                      "rank": (1, 4096), "grad_accum": (1, 65_536)}
MAX_EPOCHS = 1000
MAX_TOKENS = 10**13  # ten trillion tokens: more than any public pre-training corpus
MAX_PRICE_PER_HOUR = 1000.0


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PlannerError(f"{name} must be a whole number from {low:,} to {high:,} (got {value!r}); "
                           f"the planner's estimates are not checked beyond that.")


def weight_bytes_per_param(precision: str, group_size: int = 64) -> float:
    """fp32 4 B; bf16/fp16 2 B; int8 1 B and 4-bit 0.5 B, plus a 16-bit scale and bias per group."""
    scales = 2 * 2 / group_size
    return {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "int8": 1.0 + scales, "4bit": 0.5 + scales}[precision]


@dataclass(frozen=True)
class PlanRequest:
    """One setup; `normalised()` fills defaults and rejects combinations that cannot exist."""

    model: ModelShape
    device: Device
    method: str = "lora"
    precision: Optional[str] = None  # None: the model's own quantization, else 4bit for QLoRA, else bf16
    gpus: int = 1
    seq: int = 2048
    batch: int = 1  # micro-batch per device
    rank: int = 16
    targets: tuple[str, ...] = ALL_PROJECTIONS
    lora_layers: Optional[int] = None  # adapt only the top N blocks (mlx-lm's --num-layers); None = all
    grad_ckpt: bool = False
    sharding: str = "auto"
    framework: Optional[str] = None  # "torch" or "mlx"; None: the device's usual stack
    tokens: Optional[int] = None  # dataset tokens per epoch
    epochs: float = 1.0
    price_per_hour: Optional[float] = None  # USD per device-hour; None: the device's typical price
    gradient_accumulation: int = 1
    utilisation: Optional[float] = None  # override the calibrated matmul utilisation (for what-if checks)
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def profile(self) -> FrameworkProfile:
        return PROFILES[self.framework or self.device.framework]

    @property
    def trains_adapters(self) -> bool:
        return self.method in ("lora", "qlora", "dora")

    @property
    def group_size(self) -> int:
        return self.model.quantization.group_size if self.model.quantization else 64

    @property
    def quantized(self) -> bool:
        return self.precision in ("int8", "4bit")

    @property
    def adapted_layers(self) -> int:
        return min(self.lora_layers or self.model.layers, self.model.layers) if self.trains_adapters else self.model.layers

    @property
    def tokens_per_step(self) -> int:
        return self.seq * self.batch * self.gpus * self.gradient_accumulation

    def normalised(self) -> "PlanRequest":
        method = self.method.lower()
        if method not in METHODS:
            raise PlannerError(f"Unknown method {self.method!r}; use one of {', '.join(METHODS)}.")
        precision = (self.precision or "").lower() or None
        if precision is None:
            if self.model.quantization:
                precision = self.model.quantization.precision
            else:
                precision = "4bit" if method == "qlora" else "bf16"
        if precision not in PRECISIONS:
            raise PlannerError(f"Unknown precision {self.precision!r}; use one of {', '.join(PRECISIONS)}.")
        if method == "qlora" and precision not in ("int8", "4bit"):
            raise PlannerError("QLoRA trains LoRA adapters over a quantized base: use --precision 4bit or int8, "
                               "or --method lora for a 16-bit base.")
        if method == "lora" and precision in ("int8", "4bit"):
            method = "qlora"  # LoRA over a quantized base is QLoRA, whatever it is called
        for name, value, (low, high) in (("--gpus", self.gpus, LIMITS["gpus"]), ("--seq", self.seq, LIMITS["seq"]),
                                         ("--batch", self.batch, LIMITS["batch"]), ("--rank", self.rank, LIMITS["rank"]),
                                         ("--grad-accum", self.gradient_accumulation, LIMITS["grad_accum"])):
            _check_range(name, value, low, high)
        if self.lora_layers is not None:
            _check_range("--lora-layers", self.lora_layers, 1, 10_000)
        if not (isinstance(self.epochs, (int, float)) and math.isfinite(self.epochs) and 0 < self.epochs <= MAX_EPOCHS):
            raise PlannerError(f"--epochs must be above 0 and at most {MAX_EPOCHS:,} (got {self.epochs}).")
        if self.tokens is not None:
            _check_range("--tokens", self.tokens, 0, MAX_TOKENS)
        if self.price_per_hour is not None and not (math.isfinite(self.price_per_hour)
                                                    and 0 <= self.price_per_hour <= MAX_PRICE_PER_HOUR):
            raise PlannerError(f"--price-per-hour must be between 0 and {MAX_PRICE_PER_HOUR:,} USD "
                               f"(got {self.price_per_hour}).")
        sharding = self.sharding.lower()
        if sharding not in SHARDINGS:
            raise PlannerError(f"Unknown sharding {self.sharding!r}; use one of {', '.join(SHARDINGS)}.")
        if sharding == "fsdp":
            sharding = "zero3"  # FSDP full sharding holds the same per-device memory as ZeRO-3
        framework = self.framework or self.device.framework
        if framework not in PROFILES:
            raise PlannerError(f"Unknown framework {framework!r}; use one of {', '.join(PROFILES)}.")
        if self.utilisation is not None and not 0 < self.utilisation <= 1:
            raise PlannerError(f"Utilisation must be in (0, 1] (got {self.utilisation}).")
        return replace(self, method=method, precision=precision, sharding=sharding, framework=framework)


def make_request(model: str | ModelShape, device: str | Device, **options: Any) -> PlanRequest:
    """Build and normalise a request from names (a built-in model or folder, a device key)."""
    shape = resolve_model(model) if isinstance(model, str) else model
    dev = resolve_device(device) if isinstance(device, str) else device
    return PlanRequest(model=shape, device=dev, **options).normalised()
