"""What a local MLX model folder is, before anything is loaded: size, shape, quantization, memory fit.

WHY without mlx: the Train screen shows this while the person picks a model, so
it reads config.json and file sizes only, and asks the planner (when present)
for the memory a run with the chosen settings needs on this machine.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from core.errors import UserError


class ModelFolderError(UserError):
    """The path is not a usable MLX model folder."""


@dataclass
class ModelInfo:
    path: str
    model_type: str
    num_layers: int
    hidden_size: int
    vocab_size: int
    size_bytes: int
    quantization: Optional[dict[str, Any]]
    context_length: int = 0  # max_position_embeddings (or the like) of config.json; 0 when it does not say

    @property
    def quantization_label(self) -> str:
        if not self.quantization:
            return "none (full precision)"
        bits = self.quantization.get("bits", "?")
        group = self.quantization.get("group_size", "?")
        mode = self.quantization.get("mode", "affine")
        return f"{bits}-bit {mode}, group {group}"

    @property
    def size_gib(self) -> float:
        return self.size_bytes / 2**30

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "model_type": self.model_type, "num_layers": self.num_layers,
                "hidden_size": self.hidden_size, "vocab_size": self.vocab_size, "size_bytes": self.size_bytes,
                "size_gib": round(self.size_gib, 3), "quantization": self.quantization,
                "quantization_label": self.quantization_label, "context_length": self.context_length}


@dataclass
class MemoryFit:
    """The planner's peak-memory estimate for a run against this machine's memory."""

    peak_gib: Optional[float]
    machine_gib: float
    fits: Optional[bool]
    reasons: list[str] = field(default_factory=list)
    source: str = "planner"

    def to_dict(self) -> dict[str, Any]:
        return {"peak_gib": self.peak_gib, "machine_gib": round(self.machine_gib, 1), "fits": self.fits,
                "reasons": self.reasons, "source": self.source}


def model_info(path: Union[str, Path]) -> ModelInfo:
    """Read a model folder's config.json and weight sizes; raise ModelFolderError when it is not one."""
    folder = Path(path).expanduser()
    config_path = folder / "config.json"
    if not folder.is_dir():
        raise ModelFolderError(f"{folder} is not a folder; pick a local MLX model folder.")
    if not config_path.is_file():
        raise ModelFolderError(f"{folder} has no config.json; pick a folder made by `mlx_lm.convert`.")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelFolderError(f"{config_path} is not valid JSON ({exc.msg}); re-download or convert the model.") \
            from None
    text_config = config.get("text_config") or {}
    size = sum(p.stat().st_size for p in folder.glob("*.safetensors"))
    if size == 0:
        raise ModelFolderError(f"{folder} holds no .safetensors weights; pick a complete MLX model folder.")

    def get(key: str, default: Any = 0) -> Any:
        return config.get(key, text_config.get(key, default))

    return ModelInfo(path=str(folder.resolve()), model_type=str(get("model_type", "?")),
                     num_layers=int(get("num_hidden_layers", 0) or 0), hidden_size=int(get("hidden_size", 0) or 0),
                     vocab_size=int(get("vocab_size", 0) or 0), size_bytes=size,
                     quantization=config.get("quantization") or config.get("quantization_config"),
                     context_length=_context_length(get))


CONTEXT_KEYS = ("max_position_embeddings", "max_sequence_length", "seq_length", "n_positions", "n_ctx")


def _context_length(get: Any) -> int:
    """The longest sequence the model was trained for, from the first config.json key that names it."""
    for key in CONTEXT_KEYS:
        value = get(key, 0)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return 0


def machine_memory_gib() -> float:
    """Physical memory of this machine."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return 0.0


def memory_fit(info: ModelInfo, config: Any) -> MemoryFit:
    """Ask the planner for this run's peak memory on this machine (None figures when it cannot say)."""
    machine = machine_memory_gib()
    try:
        from core.planner import make_plan, make_request, shape_from_folder, this_cpu
    except ImportError:
        return MemoryFit(None, machine, None, ["The planner is not installed, so memory was not estimated."],
                         source="none")
    method = config.method
    if method == "lora" and info.quantization:
        method = "qlora"
    try:
        device = this_cpu()
        request = make_request(shape_from_folder(Path(info.path)), device, method=method,
                               seq=int(config.max_seq_length), batch=int(config.batch_size), rank=int(config.rank),
                               grad_ckpt=bool(config.grad_checkpoint),
                               lora_layers=None if config.num_layers == -1 else int(config.num_layers),
                               framework="mlx")
        plan = make_plan(request)
    except Exception as exc:  # noqa: BLE001 - an estimate is advice; never block a run on it
        return MemoryFit(None, machine, None, [f"The planner could not estimate this model: {exc}"])
    peak = float(plan.peak_memory_gib)
    fits = peak <= machine * 0.9 if machine else bool(plan.fits)
    reasons = list(plan.reasons)
    if not fits:
        reasons.insert(0, f"Needs about {peak:.1f} GiB, more than this machine's {machine:.0f} GiB: use a smaller "
                          f"batch or sequence, gradient checkpointing, fewer layers, or a quantized model.")
    return MemoryFit(round(peak, 3), machine, fits, reasons)
