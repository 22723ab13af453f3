"""Corrections from the project's own finished runs: scoped to similar setups, bounded, and never silent.

WHY scoped and bounded: a run measures one model on one machine.  Two tiny test-model runs once scaled every
plan on that machine (a 1B model went from 27.7 tokens/s to 0 and from 9 GiB to 33 GiB), because the ratio
measured/predicted of a 5M-parameter model was applied to a 1B one, where the fixed per-step costs that dominate
a tiny model do not.  So a run corrects only plans on the same device, with the same kind of training (adapters,
full, inference) and the same software stack, for models within `SIZE_SCOPE` times its parameter count; and the
factor is clamped to `FACTOR_BOUNDS` so that one odd run can at most quarter or quadruple an estimate.  The plan
shows the uncorrected figures beside the corrected ones.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Optional

from core.planner.request import PlanRequest

SIZE_SCOPE = 2.0  # a run corrects models from 1/2x to 2x its parameter count
FACTOR_BOUNDS = (0.25, 4.0)


def method_class(req: PlanRequest) -> str:
    """Setups whose step costs scale alike: adapter training (LoRA/QLoRA/DoRA), full fine-tuning, decoding."""
    if req.method == "inference":
        return "inference"
    return "adapters" if req.trains_adapters else "full"


@dataclass(frozen=True)
class RunRatio:
    """One usable project run: how its measured speed and peak memory compare with the planner's prediction."""

    device: str
    framework: str
    kind: str  # method_class of the run
    params: float
    speed_ratio: float  # measured / predicted tokens per second
    memory_ratio: Optional[float]  # measured / predicted peak memory (None when not measured)
    label: str

    def covers(self, req: PlanRequest) -> bool:
        """True when this run may correct `req`: same device, stack and kind, model size within SIZE_SCOPE."""
        params = float(req.model.total_params)
        return (self.device == req.device.key and self.framework == req.profile.key and self.kind == method_class(req)
                and params > 0 and self.params > 0 and 1 / SIZE_SCOPE <= params / self.params <= SIZE_SCOPE)


def _bounded(value: float) -> tuple[float, bool]:
    low, high = FACTOR_BOUNDS
    clamped = min(high, max(low, value))
    return clamped, clamped != value


@dataclass(frozen=True)
class Correction:
    """The factors applied to one plan, and the sentence that says where they come from."""

    speed: float
    memory: Optional[float]
    runs: int
    raw_speed: float
    raw_memory: Optional[float]
    bounded: bool

    def describe(self, device: str) -> str:
        text = (f"corrected by {self.runs} project run(s) on {device} with a model within {SIZE_SCOPE:g}x this size: "
                f"speed x{self.speed:.2f}")
        if self.memory is not None:
            text += f", memory x{self.memory:.2f}"
        if self.bounded:
            text += (f" (measured x{self.raw_speed:.2f}"
                     + (f" / x{self.raw_memory:.2f}" if self.raw_memory is not None else "")
                     + f", held within {FACTOR_BOUNDS[0]:g}-{FACTOR_BOUNDS[1]:g})")
        return text


def correction_for(ratios: list[RunRatio], req: PlanRequest) -> Optional[Correction]:
    """The median correction of the runs that cover `req`, bounded; None when no run does."""
    usable = [r for r in ratios if r.covers(req) and math.isfinite(r.speed_ratio) and r.speed_ratio > 0]
    if not usable:
        return None
    raw_speed = statistics.median(r.speed_ratio for r in usable)
    memories = [r.memory_ratio for r in usable
                if r.memory_ratio is not None and math.isfinite(r.memory_ratio) and r.memory_ratio > 0]
    raw_memory = statistics.median(memories) if memories else None
    speed, speed_clamped = _bounded(raw_speed)
    memory, memory_clamped = _bounded(raw_memory) if raw_memory is not None else (None, False)
    return Correction(speed=speed, memory=memory, runs=len(usable), raw_speed=raw_speed, raw_memory=raw_memory,
                      bounded=speed_clamped or memory_clamped)
