"""Preparing a run in the worker: the model folder, the model, its adapters, the optimizer, adapter_config.json.

WHY apart from the worker's loop: these steps are the same for a fresh run and a resume, and each turns a
library error into a sentence a person can act on (`WorkerError` carries the fix).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.errors import UserError
from core.training.config import TrainingConfig


class WorkerError(UserError):
    """A run cannot start or continue; `suggestion` says what to change."""

    def __init__(self, message: str, suggestion: str = "") -> None:
        super().__init__(message)
        self.suggestion = suggestion



def check_model_folder(config: TrainingConfig) -> Path:
    """The model folder, or a WorkerError saying what is missing."""
    model_path = Path(config.model_path).expanduser()
    if not model_path.is_dir():
        raise WorkerError(f"The model folder {model_path} does not exist.",
                          "Pick a local MLX model folder (with config.json and *.safetensors).")
    if not (model_path / "config.json").exists():
        raise WorkerError(f"{model_path} has no config.json, so it is not an MLX model folder.",
                          "Convert the model with `mlx_lm.convert` or pick another folder.")
    return model_path


def parameter_count(parameters: Any) -> int:
    """Scalars in an mlx parameter tree."""
    from mlx.utils import tree_flatten

    flat: Any = tree_flatten(parameters)  # typed by mlx as a list or a str
    return sum(int(value.size) for _name, value in flat)


def load_model(config: TrainingConfig) -> tuple[Any, Any, dict[str, Any]]:
    """mlx-lm model, tokenizer and config, with errors a user can act on."""
    model_path = check_model_folder(config)
    from mlx_lm.utils import load

    try:
        loaded: Any = load(str(model_path), return_config=True)  # mlx-lm types it as 2 or 3 values
        model, tokenizer, model_config = loaded
    except FileNotFoundError as exc:
        raise WorkerError(f"Cannot load the model in {model_path}: {exc}.",
                          "Check that the folder holds the model's *.safetensors files.") from None
    except ValueError as exc:
        raise WorkerError(f"Cannot load the model in {model_path}: {exc}.",
                          "Check that mlx-lm supports this architecture, or convert it again.") from None
    return model, tokenizer, model_config


def write_adapter_config(adapter_dir: Path, config: TrainingConfig, total_iterations: int) -> None:
    """The adapter_config.json `mlx_lm.load(adapter_path=...)` and fuse read."""
    doc = {
        "fine_tune_type": config.method,
        "num_layers": config.num_layers,
        "lora_parameters": {"rank": config.rank, "scale": config.scale, "dropout": config.dropout},
        "model": config.model_path,
        "data": config.data_dir,
        "iters": total_iterations,
        "batch_size": config.batch_size,
        "learning_rate": config.learning_rate,
        "max_seq_length": config.max_seq_length,
        "mask_prompt": True,  # every loss is on answer tokens (core.training.datasets)
        "grad_accumulation_steps": config.grad_accumulation_steps,
        "seed": config.seed,
    }
    (adapter_dir / "adapter_config.json").write_text(json.dumps(doc, indent=4), encoding="utf-8")


def build_optimizer(config: TrainingConfig, total_iterations: int) -> Any:
    """Optimizer with the schedule shifted by the start iteration (resume continues the curve)."""
    import mlx.optimizers as optim
    from mlx_lm.tuner.utils import build_schedule

    schedule_config = config.lr_schedule_config(total_iterations)
    learning_rate: Any = config.learning_rate
    if schedule_config is not None:
        schedule = build_schedule(schedule_config)
        offset = config.start_iteration
        learning_rate = (lambda step: schedule(step + offset)) if offset else schedule
    classes = {"adam": optim.Adam, "adamw": optim.AdamW, "sgd": optim.SGD, "adafactor": optim.Adafactor}
    if config.optimizer not in classes:
        raise WorkerError(f"Unknown optimizer {config.optimizer!r}.", f"Use one of {', '.join(classes)}.")
    return classes[config.optimizer](learning_rate=learning_rate)


def prepare_model(model: Any, config: TrainingConfig) -> int:
    """Freeze, convert to LoRA/DoRA (or unfreeze for full), load resume weights; return trainable count."""
    from mlx_lm.tuner.utils import linear_to_lora_layers

    model.freeze()
    n_layers = len(model.layers)
    if config.num_layers > n_layers:
        raise WorkerError(f"Asked to train {config.num_layers} layers but the model has only {n_layers}.",
                          f"Use --layers {n_layers} or fewer (-1 for all).")
    num_layers = n_layers if config.num_layers == -1 else config.num_layers
    if config.method == "full":
        for layer in model.layers[-num_layers:]:
            layer.unfreeze()
    else:
        linear_to_lora_layers(model, num_layers,
                              {"rank": config.rank, "scale": config.scale, "dropout": config.dropout},
                              use_dora=(config.method == "dora"))
    if config.resume_adapter_file:
        resume = Path(config.resume_adapter_file)
        if not resume.exists():
            raise WorkerError(f"The checkpoint {resume} to resume from is missing.",
                              "Start a new run, or resume from an earlier checkpoint.")
        model.load_weights(str(resume), strict=False)
    return parameter_count(model.trainable_parameters())
