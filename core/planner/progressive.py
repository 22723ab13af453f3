"""The staged path from a project's dataset: validate small and at home, scale only when the gains justify it.

Why staged: a 405B run costs hundreds of times a 8B run; the data and the templates are validated far more
cheaply on 8B (this machine or the user's Mac), then 70B shows whether size helps at all, and 405B is only
worth renting for if the 8B -> 70B step improved the evaluation clearly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from core.planner.calibration import Calibration, load_calibration
from core.planner.dataset_tokens import build_folder_tokens
from core.planner.plan import Plan, make_plan
from core.planner.request import make_request

# Where each step may run, in order of preference: home first, then the smallest rented setup that fits.
RENTED_OPTIONS: tuple[tuple[str, int], ...] = (("h200", 1), ("h100", 1), ("h100", 2), ("h200", 2), ("h100", 4),
                                               ("h100", 8), ("h200", 8))

HOME_MAX_HOURS = 48.0  # beyond two days of a home machine, renting is offered instead (when something fits)

STEPS: tuple[tuple[str, str, str], ...] = (
    ("validate", "llama-3.1-8b", "Validate the data and templates on an 8B model: loss falls, evaluation improves, "
                                 "no formulaic drift."),
    ("scale", "llama-3.1-70b", "Train 70B on the same build and compare the evaluation with 8B."),
    ("frontier", "llama-3.1-405b", "Only if 8B -> 70B improved the evaluation clearly: 405B on rented GPUs."),
)


@dataclass
class ProgressiveStep:
    stage: str
    model: str
    why: str
    where: str  # "home" or "rented"
    plan: Plan

    def to_dict(self) -> dict[str, Any]:
        p = self.plan
        return {"stage": self.stage, "model": self.model, "why": self.why, "where": self.where,
                "device": p.request.device.key, "gpus": p.request.gpus, "method": p.request.method,
                "precision": p.request.precision, "peak_memory_gib": round(p.peak_memory_gib, 1),
                "tokens_per_s": round(p.tokens_per_s, 1),
                "hours": None if p.hours is None else round(p.hours, 2),
                "cost_usd": None if p.cost_usd is None else round(p.cost_usd, 2),
                "fits": p.fits, "feasible": p.feasible, "reasons": p.reasons}


def progressive_plan(tokens: int, epochs: float = 3.0, home_device: str = "this-cpu", seq: int = 2048,
                     calibration: Optional[Calibration] = None) -> list[ProgressiveStep]:
    """Each step at home when it fits there within HOME_MAX_HOURS, else the smallest rented GPU setup that fits.

    Every step is QLoRA (4-bit base) with gradient checkpointing: the setup that fits most hardware. A step that
    fits nowhere is still returned, with the home plan and its reasons.
    """
    cal = calibration or load_calibration()
    steps = []
    for stage, model, why in STEPS:
        common = dict(method="qlora", precision="4bit", grad_ckpt=True, seq=seq, tokens=tokens, epochs=epochs)
        home = make_plan(make_request(model, home_device, **common), cal)
        if home.feasible and (home.hours or 0.0) <= HOME_MAX_HOURS:
            steps.append(ProgressiveStep(stage, model, why, "home", home))
            continue
        chosen = None
        for key, gpus in RENTED_OPTIONS:
            candidate = make_plan(make_request(model, key, gpus=gpus, **common), cal)
            if candidate.feasible:
                chosen = candidate
                break
        if chosen is None or (home.feasible and chosen.hours is None):
            steps.append(ProgressiveStep(stage, model, why, "home", home))
        else:
            steps.append(ProgressiveStep(stage, model, why, "rented", chosen))
    return steps


def build_tokens(build_folder: Path) -> tuple[int, str]:
    """Training tokens of a dataset build (its largest stage) and the card's wording of how they were counted.

    The same figure as `tokens_from_build` (the train split; see core.planner.dataset_tokens for why), for callers
    that hold a folder rather than a project and a name (scale-out exports, the evaluation's next-step sentence).
    """
    return build_folder_tokens(build_folder)
