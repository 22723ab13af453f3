"""What a training run trains: one dataclass, saved as `runs/<name>/config.json`.

WHY a single typed config: the CLI, the Train screen, the worker and resume all
read and write the same file, so a run can be restarted (or inspected) from its
folder alone, without the database.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from core.errors import UserError

METHODS = ("lora", "dora", "full")
SCHEDULES = ("constant", "cosine", "linear")
CHECKLIST_ITEMS = (
    "emotional_continuity",
    "genuine_uncertainty",
    "references_earlier_thoughts",
    "same_being_across_conversations",
)
CHECKLIST_LABELS = {
    "emotional_continuity": "Emotional continuity",
    "genuine_uncertainty": "Genuine (not performed) uncertainty",
    "references_earlier_thoughts": "Refers back to earlier thoughts",
    "same_being_across_conversations": "The same being across conversations",
}
CHECKLIST_VALUES = ("yes", "no", "unsure")


DEFAULT_ITERATIONS = 1000  # when neither iterations nor epochs are given

# The only place training defaults live (with the dataclass's field defaults below): `interiority train`
# and the Train screen both read them here; they once disagreed (full fine-tuning got 1e-6 from the
# screen and 1e-5 from the command line).
METHOD_DEFAULTS: dict[str, dict[str, Any]] = {
    # mlx-lm's own defaults: its LoRA "scale" of 20 already amplifies the adapters' update, so the rate
    # stays at 1e-5 (with alpha/rank = 1 elsewhere one would use ~2e-4).
    "lora": {"learning_rate": 1e-5, "rank": 8, "num_layers": 16},
    "dora": {"learning_rate": 1e-5, "rank": 8, "num_layers": 16},
    # Full fine-tuning: 1e-5, the rate of the published supervised fine-tuning recipes for 1-8B models
    # with Adam (Alpaca and Vicuna 2e-5, Tulu 2e-5 at 7B and 1e-5 at 70B).  1e-6 is a preference-tuning
    # (DPO) rate: over our default 1,000 iterations it barely moves the weights, and the run looks like it
    # "learned nothing".  Only the last 4 blocks by default: every trained weight carries two Adam moments
    # in float32, so 16 full blocks of a 7B model need ~40 GB of optimizer state alone (4 blocks ~10 GB).
    "full": {"learning_rate": 1e-5, "rank": 8, "num_layers": 4},
}


def defaults_for_model(method: str, model_layers: int, context_length: int) -> dict[str, int]:
    """The method's layer count and the default max sequence, fitted to one model (0: the model does not say).

    WHY: the method's 16 layers ask a 2-layer model for more blocks than it has, and 2,048 tokens ask a
    512-token model for positions it never saw; the Train form starts from what the chosen model can take.
    """
    layers = int(METHOD_DEFAULTS.get(method, METHOD_DEFAULTS["lora"])["num_layers"])
    seq = int(TrainingConfig.max_seq_length)
    return {"num_layers": min(layers, model_layers) if model_layers > 0 else layers,
            "max_seq_length": min(seq, context_length) if context_length > 0 else seq}


class TrainingConfigError(UserError):
    """A training setting is out of range or a required input is missing."""


def config_for_method(method: str = "lora", **given: Any) -> "TrainingConfig":
    """A config with the method's defaults, overridden by every value in `given` that is not None.

    Without `iters` and `epochs`, `DEFAULT_ITERATIONS`.  Unknown methods fail in `validate()`.
    """
    values: dict[str, Any] = dict(METHOD_DEFAULTS.get(method, METHOD_DEFAULTS["lora"]))
    values.update({key: value for key, value in given.items() if value is not None})
    if not values.get("iters") and values.get("epochs") is None:
        values["iters"] = DEFAULT_ITERATIONS
    return TrainingConfig(method=method, **values)


@dataclass
class TrainingConfig:
    """Hyperparameters and inputs of one run (mlx-lm names where they exist)."""

    model_path: str = ""
    data_dir: str = ""
    method: str = "lora"  # lora | dora | full; a quantized model with lora gives QLoRA
    rank: int = METHOD_DEFAULTS["lora"]["rank"]
    scale: float = 20.0  # mlx-lm's LoRA "scale" (alpha / rank in other frameworks)
    dropout: float = 0.0
    num_layers: int = METHOD_DEFAULTS["lora"]["num_layers"]  # last N transformer blocks; -1 for all
    learning_rate: float = METHOD_DEFAULTS["lora"]["learning_rate"]
    lr_schedule: str = "constant"
    warmup: int = 0
    iters: int = 0  # 0: derived from epochs
    epochs: Optional[float] = None
    batch_size: int = 4
    grad_accumulation_steps: int = 1
    max_seq_length: int = 2048
    grad_checkpoint: bool = False
    steps_per_report: int = 10
    steps_per_eval: int = 200
    val_batches: int = 25
    save_every: int = 100
    seed: int = 0
    optimizer: str = "adam"
    # Resume state, written by the runner: the worker trains from start_iteration + 1
    # to total iterations, loading resume_adapter_file first.
    start_iteration: int = 0
    resume_adapter_file: Optional[str] = None
    trained_tokens_before: int = 0
    total_iterations: int = 0  # fixed when the run is created, so resume keeps the same end
    extra: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> "TrainingConfig":
        """Raise TrainingConfigError naming the first bad setting and its allowed range."""
        if self.method not in METHODS:
            raise TrainingConfigError(f"Unknown method {self.method!r}; use one of {', '.join(METHODS)}.")
        if self.lr_schedule not in SCHEDULES:
            raise TrainingConfigError(
                f"Unknown schedule {self.lr_schedule!r}; use one of {', '.join(SCHEDULES)}.")
        checks = [
            ("rank", self.rank >= 1, "at least 1"),
            ("scale", self.scale > 0, "positive"),
            ("dropout", 0.0 <= self.dropout < 1.0, "in [0, 1)"),
            ("num_layers", self.num_layers == -1 or self.num_layers >= 1, "-1 (all) or at least 1"),
            ("learning_rate", 0 < self.learning_rate < 1, "in (0, 1)"),
            ("warmup", self.warmup >= 0, "0 or more"),
            ("iters", self.iters >= 0, "0 or more"),
            ("batch_size", self.batch_size >= 1, "at least 1"),
            ("grad_accumulation_steps", self.grad_accumulation_steps >= 1, "at least 1"),
            ("max_seq_length", self.max_seq_length >= 8, "at least 8"),
            ("steps_per_report", self.steps_per_report >= 1, "at least 1"),
            ("steps_per_eval", self.steps_per_eval >= 1, "at least 1"),
            ("save_every", self.save_every >= 1, "at least 1"),
        ]
        for name, ok, allowed in checks:
            if not ok:
                raise TrainingConfigError(f"Setting {name}={getattr(self, name)!r} must be {allowed}.")
        if self.epochs is not None and self.epochs <= 0:
            raise TrainingConfigError(f"Setting epochs={self.epochs!r} must be positive.")
        if self.iters == 0 and self.epochs is None:
            raise TrainingConfigError("Give either iterations (--iters N) or epochs (--epochs F).")
        return self

    def resolve_iterations(self, n_train: int) -> int:
        """Total iterations: `iters`, else ceil(epochs * n_train / batch)."""
        if self.iters:
            return self.iters
        assert self.epochs is not None
        return max(1, math.ceil(self.epochs * n_train / self.batch_size))

    def lr_schedule_config(self, total_iterations: int) -> Optional[dict[str, Any]]:
        """mlx-lm `build_schedule` config, or None for a constant rate without warmup."""
        if self.lr_schedule == "constant":
            if not self.warmup:
                return None
            return {"name": "linear_schedule", "arguments": [self.learning_rate, self.learning_rate, 1],
                    "warmup": self.warmup}
        decay_steps = max(1, total_iterations - self.warmup)
        if self.lr_schedule == "cosine":
            arguments = [self.learning_rate, decay_steps, self.learning_rate * 0.1]
            name = "cosine_decay"
        else:
            arguments = [self.learning_rate, self.learning_rate * 0.1, decay_steps]
            name = "linear_schedule"
        return {"name": name, "arguments": arguments, "warmup": self.warmup}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainingConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        known = {k: v for k, v in data.items() if k in names}
        unknown = {k: v for k, v in data.items() if k not in names}
        config = cls(**known)
        config.extra.update(unknown)
        return config

    def save(self, path: Path) -> None:
        """Write atomically (temp file + rename) so a crash never leaves half a config."""
        doc = self.to_dict()
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=2), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "TrainingConfig":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise TrainingConfigError(f"No run config at {path}; create the run again with `interiority train`.") \
                from None
        except json.JSONDecodeError as exc:
            raise TrainingConfigError(f"The run config {path} is not valid JSON ({exc}); "
                                      f"create the run again.") from None
        if not isinstance(data, dict):  # hand-edited into a list or a number: say so, not an AttributeError
            raise TrainingConfigError(f"The run config {path} is not a JSON object of settings; "
                                      f"create the run again.")
        return cls.from_dict(data)


def count_lines(path: Path) -> int:
    """Non-blank lines of a JSONL file (0 when it does not exist)."""
    if not path.exists():
        return 0
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())
