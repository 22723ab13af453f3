"""The planner: memory, time and cost of a fine-tune from 1B to 405B, checked against physics and measured runs.

Public API (headless; the CLI and the Plan screen call these):
  resolve_model(name_or_folder) -> ModelShape        resolve_device(name) -> Device; all_devices()
  make_request(model, device, **options) -> PlanRequest
  make_plan(request, calibration=None) -> Plan       (memory, tokens/s, hours, cost, fits, feasible, reasons)
  check_claim(model, method, device, gpus, tokens_per_s) -> ClaimVerdict
  progressive_plan(tokens, epochs, home_device) -> list[ProgressiveStep]; build_tokens(build_folder)
  tokens_from_build(project, "NAME" or "NAME/stage-N") -> BuildTokens (train-split tokens and where they came from)
  export_scale_out(exports, build_name, target, ...) -> ScaleOutResult (writes only inside exports/BUILD)
  load_calibration(runs_dir=None) -> Calibration; record_run(runs_dir, ...) after a completed training run
"""

from core.planner.calibration import Calibration, load_calibration, record_run
from core.planner.dataset_tokens import BuildTokens, build_choices, tokens_from_build
from core.planner.devices import KNOWN_DEVICES, Device, all_devices, resolve_device, this_cpu, this_machine
from core.planner.memory import COMPONENTS, MemoryEstimate, estimate_memory
from core.planner.plan import ClaimVerdict, Plan, check_claim, make_plan
from core.planner.progressive import ProgressiveStep, build_tokens, progressive_plan
from core.planner.request import FAILED_RUN_OVERHEAD, METHODS, PRECISIONS, PlanRequest, make_request
from core.planner.scale_out import TARGETS, ScaleOutResult, export_scale_out
from core.planner.shapes import (BUILTIN_SHAPES, ModelShape, PlannerError, Quantization, resolve_model,
                                 shape_from_config, shape_from_folder)

__all__ = [
    "BUILTIN_SHAPES", "BuildTokens", "COMPONENTS", "Calibration", "ClaimVerdict", "Device", "FAILED_RUN_OVERHEAD",
    "KNOWN_DEVICES", "METHODS", "MemoryEstimate", "ModelShape", "PRECISIONS", "Plan", "PlanRequest", "PlannerError",
    "ProgressiveStep", "Quantization", "ScaleOutResult", "TARGETS", "all_devices", "build_choices", "build_tokens",
    "check_claim", "estimate_memory", "export_scale_out", "load_calibration", "make_plan", "make_request",
    "progressive_plan", "record_run", "resolve_device", "resolve_model", "shape_from_config", "shape_from_folder",
    "this_cpu", "this_machine", "tokens_from_build"
]
