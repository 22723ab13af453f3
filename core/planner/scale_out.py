"""Scale-out exports: what to take to a GPU cluster, to several Macs, or to a managed fine-tuning service.

Written under `exports/BUILD/scale-out/<target>/`:
  axolotl          axolotl.yaml (LoRA/QLoRA, the build's alpaca or chat files, sequence length, micro-batch and
                   gradient accumulation sized by the planner), deepspeed_zero{2,3}.json, launch.sh (accelerate)
  mlx-distributed  hostfile.json template for `mlx.launch` (ring backend) and launch.sh (data-parallel mlx-lm)
  managed          train.jsonl / valid.jsonl in OpenAI chat format and README.md with the upload steps
Every target also writes plan.json: the planner's estimate for the configuration written.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from core.paths import inside, is_inside, safe_name
from core.planner.calibration import Calibration, load_calibration
from core.planner.plan import Plan, make_plan
from core.planner.progressive import build_tokens
from core.planner.request import make_request
from core.planner.shapes import PlannerError, resolve_model

TARGETS = ("axolotl", "mlx-distributed", "managed")
GLOBAL_BATCH_SEQUENCES = 16  # sequences per optimizer step, a common LoRA setting

# Hugging Face repositories for the built-in shapes (a model folder is used as given).
HF_REPOS = {
    "llama-3.2-1b": "meta-llama/Llama-3.2-1B-Instruct", "llama-3.2-3b": "meta-llama/Llama-3.2-3B-Instruct",
    "llama-3.1-8b": "meta-llama/Llama-3.1-8B-Instruct", "llama-3.1-70b": "meta-llama/Llama-3.3-70B-Instruct",
    "llama-3.1-405b": "meta-llama/Llama-3.1-405B-Instruct", "qwen2.5-7b": "Qwen/Qwen2.5-7B-Instruct",
    "qwen2.5-14b": "Qwen/Qwen2.5-14B-Instruct", "qwen2.5-32b": "Qwen/Qwen2.5-32B-Instruct",
    "qwen2.5-72b": "Qwen/Qwen2.5-72B-Instruct", "mistral-7b": "mistralai/Mistral-7B-Instruct-v0.3",
}


@dataclass
class ScaleOutResult:
    target: str
    folder: Path
    files: list[Path] = field(default_factory=list)
    command: str = ""
    notes: list[str] = field(default_factory=list)
    plan: Optional[Plan] = None

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "folder": str(self.folder), "files": [str(f) for f in self.files],
                "command": self.command, "notes": self.notes,
                "plan": self.plan.to_dict() if self.plan else None}


MAX_WALK_DEPTH = 3  # exports/BUILD[/stage-N]/<format>/train.jsonl: no need to look deeper


def _train_files(build: Path, fmt: str) -> list[Path]:
    """`<fmt>/train.jsonl` files under the build, walked without following links, never outside the build.

    WHY not `rglob`: it follows symlinked folders, so a build (or a `--build /`) could walk the whole disk.
    """
    found = []
    for folder, dirs, _files in os.walk(build, followlinks=False):
        depth = len(Path(folder).relative_to(build).parts)
        dirs[:] = [d for d in dirs if d != "scale-out" and not d.startswith(".")] if depth < MAX_WALK_DEPTH else []
        candidate = Path(folder) / fmt / "train.jsonl"
        if fmt in dirs and candidate.is_file() and is_inside(build, candidate.relative_to(build)):
            found.append(candidate.parent)
    return found


def _data_folder(build: Path, formats: tuple[str, ...]) -> tuple[str, Path]:
    """The largest stage's folder of the first format present (exports/BUILD[/stage-N]/<format>/train.jsonl)."""
    for fmt in formats:
        found = _train_files(build, fmt)
        if found:
            return fmt, max(found, key=lambda p: (p / "train.jsonl").stat().st_size)
    raise PlannerError(f"{build} has no {' or '.join(formats)} export with a train.jsonl; run "
                       f"`interiority export {build.name} --format {formats[0]}` first.")


def _yaml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))  # a JSON string is a valid YAML scalar


def _yaml(obj: dict[str, Any], indent: int = 0) -> list[str]:
    """A small YAML writer for the nested dicts/lists of an axolotl config (no PyYAML needed)."""
    pad = "  " * indent
    lines = []
    for key, value in obj.items():
        if isinstance(value, dict):
            lines += [f"{pad}{key}:", *_yaml(value, indent + 1)]
        elif isinstance(value, list):
            lines.append(f"{pad}{key}:")
            for item in value:
                if isinstance(item, dict):
                    first, *rest = _yaml(item, indent + 2)
                    lines += [f"{pad}  - {first.strip()}", *rest]
                else:
                    lines.append(f"{pad}  - {_yaml_value(item)}")
        else:
            lines.append(f"{pad}{key}: {_yaml_value(value)}")
    return lines


def deepspeed_config(stage: int) -> dict[str, Any]:
    """A DeepSpeed ZeRO config whose batch and precision fields axolotl fills in ("auto")."""
    zero: dict[str, Any] = {"stage": stage, "overlap_comm": True, "contiguous_gradients": True,
                            "reduce_bucket_size": "auto"}
    if stage == 3:
        zero.update({"sub_group_size": 0, "stage3_prefetch_bucket_size": "auto",
                     "stage3_param_persistence_threshold": "auto", "stage3_max_live_parameters": 0,
                     "stage3_max_reuse_distance": 0, "stage3_gather_16bit_weights_on_model_save": True})
    else:
        zero.update({"allgather_partitions": True, "allgather_bucket_size": 5e8, "reduce_scatter": True})
    return {"zero_optimization": zero, "bf16": {"enabled": "auto"}, "fp16": {"enabled": "auto"},
            "gradient_accumulation_steps": "auto", "gradient_clipping": "auto", "train_batch_size": "auto",
            "train_micro_batch_size_per_gpu": "auto", "wall_clock_breakdown": False}


def _sized_plan(model: str, device: str, gpus: int, method: str, seq: int, tokens: int, epochs: float,
                cal: Calibration) -> Plan:
    """The largest micro-batch in 8, 4, 2, 1 that fits with checkpointing; accumulation reaches the global batch."""
    last = None
    for batch in (8, 4, 2, 1):
        accum = max(1, GLOBAL_BATCH_SEQUENCES // (batch * gpus))
        plan = make_plan(make_request(model, device, method=method, gpus=gpus, seq=seq, batch=batch,
                                      grad_ckpt=True, tokens=tokens, epochs=epochs, gradient_accumulation=accum), cal)
        last = plan
        if plan.feasible:
            return plan
    assert last is not None
    return last


def _write(folder: Path, name: str, text: str, files: list[Path], mode: int = 0o644) -> None:
    """Write one export file; `inside` refuses a name or a planted symlink that would land outside `folder`."""
    path = inside(folder, safe_name(name, "export file name"))
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    files.append(path)


def export_axolotl(build: Path, out: Path, model: str, gpus: int, method: str, seq: int, epochs: float,
                   device: str, cal: Calibration) -> ScaleOutResult:
    fmt, data = _data_folder(build, ("alpaca", "mlx-chat", "openai"))
    tokens, _ = build_tokens(build)
    plan = _sized_plan(model, device, gpus, method, seq, tokens, epochs, cal)
    req = plan.request
    stage = 3 if plan.memory.sharding == "zero3" else 2
    shape = req.model
    base = HF_REPOS.get(shape.name, str(Path(model).expanduser().resolve()) if Path(model).expanduser().is_dir() else model)
    dataset: dict[str, Any] = {"path": str((data / "train.jsonl").resolve()), "ds_type": "json"}
    if fmt == "alpaca":
        dataset["type"] = "alpaca"
    else:
        dataset.update({"type": "chat_template", "field_messages": "messages"})
    config: dict[str, Any] = {
        "base_model": base, "load_in_4bit": req.precision == "4bit", "load_in_8bit": req.precision == "int8",
        "adapter": "qlora" if req.method == "qlora" else "lora",
        "lora_r": req.rank, "lora_alpha": 2 * req.rank, "lora_dropout": 0.0,
        "lora_target_modules": list(req.targets),
        "sequence_len": req.seq, "sample_packing": True, "pad_to_sequence_len": True,
        "micro_batch_size": req.batch, "gradient_accumulation_steps": req.gradient_accumulation,
        "num_epochs": epochs, "optimizer": "adamw_torch_fused", "learning_rate": 1e-4,
        "lr_scheduler": "cosine", "warmup_ratio": 0.05, "weight_decay": 0.0,
        "bf16": "auto", "tf32": True, "gradient_checkpointing": True, "flash_attention": True,
        "datasets": [dataset], "val_set_size": 0.0, "dataset_prepared_path": "last_run_prepared",
        "output_dir": "./outputs/lora-out", "logging_steps": 1, "saves_per_epoch": 1,
        "deepspeed": f"deepspeed_zero{stage}.json",
    }
    valid = data / "valid.jsonl"
    if valid.exists():
        config["test_datasets"] = [{**dataset, "path": str(valid.resolve()), "split": "train"}]
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    header = [f"# axolotl config for build {build.name}, written by `interiority scale-out` from the planner:",
              f"# {gpus} x {req.device.name}, {req.method} {req.precision}, ZeRO-{stage}; expected "
              f"{plan.tokens_per_s:,.0f} tokens/s, peak {plan.peak_memory_gib:,.1f} GiB per GPU."]
    _write(out, "axolotl.yaml", "\n".join(header + _yaml(config)) + "\n", files)
    for s in (2, 3):
        _write(out, f"deepspeed_zero{s}.json", json.dumps(deepspeed_config(s), indent=2) + "\n", files)
    command = f"accelerate launch --num_processes {gpus} -m axolotl.cli.train axolotl.yaml"
    _write(out, "launch.sh", "#!/bin/sh\n# Run from this folder on the GPU machine (pip install axolotl deepspeed).\n"
           f"set -e\ncd \"$(dirname \"$0\")\"\n{command}\n", files, 0o755)
    notes = [f"data: {fmt} files in {data}", f"micro-batch {req.batch} x {req.gradient_accumulation} accumulation x "
             f"{gpus} GPUs = {req.batch * req.gradient_accumulation * gpus} sequences of {req.seq} tokens per step",
             "the dataset paths are absolute: copy the build to the same path on the cluster, or edit them"]
    if not plan.feasible:
        notes.append("the planner finds this configuration impossible: " + " ".join(plan.reasons))
    return ScaleOutResult("axolotl", out, files, command, notes, plan)


def export_mlx_distributed(build: Path, out: Path, model: str, gpus: int, seq: int, epochs: float,
                           device: str, cal: Calibration) -> ScaleOutResult:
    fmt, data = _data_folder(build, ("mlx-chat", "mlx-completions", "mlx-text"))
    tokens, _ = build_tokens(build)
    req_model = model
    plan = make_plan(make_request(req_model, device, method="lora", gpus=gpus, seq=seq, batch=1, grad_ckpt=True,
                                  tokens=tokens, epochs=epochs, framework="mlx"), cal)
    per_host_batch = 1
    sequences_per_epoch = max(1, tokens // max(1, seq // 2))  # examples are rarely full length: assume half
    iters = max(1, int(sequences_per_epoch * epochs / (per_host_batch * gpus)))
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    hostfile = {"backend": "ring", "envs": [],
                "hosts": [{"ssh": f"mac{i + 1}.local", "ips": [f"10.0.0.{i + 1}"]} for i in range(gpus)]}
    _write(out, "hostfile.json", json.dumps(hostfile, indent=2) + "\n", files)
    model_arg = str(Path(model).expanduser().resolve()) if Path(model).expanduser().is_dir() else \
        HF_REPOS.get(plan.request.model.name, model)
    lora = ["python", "-m", "mlx_lm", "lora", "--model", model_arg, "--train", "--data", str(data.resolve()),
            "--batch-size", str(per_host_batch), "--iters", str(iters), "--max-seq-length", str(seq),
            "--grad-checkpoint", "--adapter-path", "adapters"]
    command = f"mlx.launch --hostfile hostfile.json --backend ring -- {shlex.join(lora)}"
    _write(out, "launch.sh", "#!/bin/sh\n# Data-parallel LoRA over the Macs in hostfile.json (edit the names and IPs;\n"
           "# every Mac needs mlx-lm, passwordless ssh, and the model and data at the same paths).\n"
           f"set -e\ncd \"$(dirname \"$0\")\"\n{command}\n", files, 0o755)
    notes = [f"data: {fmt} files in {data}",
             "each Mac holds the whole model (MLX distributed is data-parallel): the model must fit on one Mac",
             f"{iters} iterations = ~{sequences_per_epoch:,} sequences per epoch x {epochs:g} epochs / {gpus} Macs"]
    if not plan.feasible:
        notes.append("the planner finds this configuration impossible: " + " ".join(plan.reasons))
    return ScaleOutResult("mlx-distributed", out, files, command, notes, plan)


def _chat_lines(path: Path) -> list[str]:
    """Lines of an OpenAI/mlx chat file, each checked to hold messages with known roles."""
    good = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise PlannerError(f"{path} line {number} is not JSON; rebuild the export.") from None
        messages = row.get("messages") if isinstance(row, dict) else None
        if not (isinstance(messages, list) and messages and all(
                isinstance(m, dict) and m.get("role") in ("system", "user", "assistant")
                and isinstance(m.get("content"), str) for m in messages)):
            raise PlannerError(f"{path} line {number} is not an OpenAI chat row (messages with role and content); "
                               f"rebuild the export.")
        good.append(json.dumps({"messages": [{"role": m["role"], "content": m["content"]} for m in messages]},
                               ensure_ascii=False))
    return good


def export_managed(build: Path, out: Path) -> ScaleOutResult:
    fmt, data = _data_folder(build, ("openai", "mlx-chat"))
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    counts = {}
    for split in ("train", "valid"):
        source = data / f"{split}.jsonl"
        if source.is_file() and not is_inside(build, source.relative_to(build)):
            raise PlannerError(f"{source} links outside the build {build.name}; export the build again.")
        if source.is_file():
            lines = _chat_lines(source)
            counts[split] = len(lines)
            _write(out, f"{split}.jsonl", "\n".join(lines) + "\n", files)
    command = ("openai api files.create -f train.jsonl -p fine-tune  # then create a fine-tuning job with the "
               "returned file id (and valid.jsonl as validation_file)")
    readme = (f"# Managed fine-tuning for build {build.name}\n\n"
              f"`train.jsonl` ({counts.get('train', 0)} rows) and `valid.jsonl` ({counts.get('valid', 0)} rows) are "
              "OpenAI chat fine-tuning files: one `{\"messages\": [...]}` object per line, roles system/user/assistant.\n"
              "Most managed services (OpenAI, Together, Fireworks, Azure) accept this format.\n\n"
              "1. Upload: `openai api files.create -f train.jsonl -p fine-tune` (and valid.jsonl).\n"
              "2. Create the job with the returned ids (`client.fine_tuning.jobs.create(training_file=..., "
              "validation_file=..., model=...)`).\n"
              "3. Check the provider's token limits per example and its price per training token first.\n")
    _write(out, "README.md", readme, files)
    return ScaleOutResult("managed", out, files, command, [f"data: {fmt} files in {data}"], None)


def build_folder(exports: Path, build: str) -> Path:
    """The folder of the dataset build named `build` inside the project's `exports/`, or a sentence why not.

    Only a plain name is accepted: `..`, an absolute path, or a symlink that leads out of `exports/` is refused,
    so an export can never write outside the project (the path was once `/`, and files landed in /scale-out).
    """
    folder = inside(exports, safe_name(build, "build name"))
    if not folder.is_dir() or not (folder / "card.json").is_file():
        raise PlannerError(f"No dataset build {build!r} in {exports}; list builds with `interiority builds`.")
    return folder


def export_scale_out(exports: Path, build: str, target: str, model: str = "llama-3.1-8b", gpus: int = 8,
                     method: str = "qlora", seq: int = 2048, epochs: float = 3.0, device: Optional[str] = None,
                     calibration: Optional[Calibration] = None) -> ScaleOutResult:
    """Write one target's files under `exports/BUILD/scale-out/<target>/`; plan.json holds the estimate behind them.

    Every path written goes through `core.paths.inside` relative to the build, itself checked inside `exports`.
    """
    if target not in TARGETS:
        raise PlannerError(f"Unknown scale-out target {target!r}; use one of {', '.join(TARGETS)}.")
    folder = build_folder(Path(exports), build)
    if target != "managed":
        resolve_model(model)  # a clear error before anything is written
    cal = calibration or load_calibration()
    out = inside(folder, "scale-out", target)
    if target == "axolotl":
        result = export_axolotl(folder, out, model, gpus, method, seq, epochs, device or "h100", cal)
    elif target == "mlx-distributed":
        result = export_mlx_distributed(folder, out, model, gpus, seq, epochs, device or "m3-ultra-512", cal)
    else:
        result = export_managed(folder, out)
    if result.plan is not None:
        _write(out, "plan.json", json.dumps(result.plan.to_dict(), indent=2) + "\n", result.files)
    return result
