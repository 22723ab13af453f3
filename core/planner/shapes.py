"""Model shapes: the few numbers that decide memory and FLOPs (a built-in table, or a model folder's config.json).

Why shapes and not parameter counts: activations scale with the hidden size and the MLP width, KV caches with
the key/value width, logits with the vocabulary; a single "8B" does not say any of that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

from core.errors import UserError

# The seven linear projections of a Llama-style block, the LoRA default ("all linear layers").
ALL_PROJECTIONS: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class PlannerError(UserError):
    """Bad planner input (unknown model, device or option); the message names the fix."""


@dataclass(frozen=True)
class Quantization:
    """Weight quantization of a model folder: bits per weight and the group size of its scales."""

    bits: int
    group_size: int = 64
    method: str = "mlx"  # "mlx" (scale + bias per group), "bitsandbytes", "gptq", "awq", ...

    @property
    def precision(self) -> str:
        return "4bit" if self.bits <= 4 else "int8"


@dataclass(frozen=True)
class ModelShape:
    """A decoder-only transformer (Llama, Qwen, Mistral) described by its config numbers."""

    name: str
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    tied_embeddings: bool = False
    head_dim: Optional[int] = None
    quantization: Optional[Quantization] = None
    source: str = "built-in table"
    aliases: tuple[str, ...] = field(default=(), compare=False)

    @property
    def attention_head_dim(self) -> int:
        return self.head_dim or self.hidden // self.heads

    @property
    def q_dim(self) -> int:
        return self.heads * self.attention_head_dim

    @property
    def kv_dim(self) -> int:
        return self.kv_heads * self.attention_head_dim

    def projection_dims(self) -> dict[str, tuple[int, int]]:
        """(in, out) features of each linear projection in one block."""
        h, q, kv, i = self.hidden, self.q_dim, self.kv_dim, self.intermediate
        return {"q_proj": (h, q), "k_proj": (h, kv), "v_proj": (h, kv), "o_proj": (q, h),
                "gate_proj": (h, i), "up_proj": (h, i), "down_proj": (i, h)}

    @property
    def layer_linear_params(self) -> int:
        return sum(a * b for a, b in self.projection_dims().values())

    @property
    def block_linear_params(self) -> int:
        """Weights of all blocks' linear projections (what quantization and LoRA act on)."""
        return self.layers * self.layer_linear_params

    @property
    def norm_params(self) -> int:
        return self.layers * 2 * self.hidden + self.hidden

    @property
    def embedding_params(self) -> int:
        return self.vocab * self.hidden

    @property
    def head_params(self) -> int:
        """The output projection's own weights (0 when tied to the embedding)."""
        return 0 if self.tied_embeddings else self.vocab * self.hidden

    @property
    def total_params(self) -> int:
        return self.block_linear_params + self.norm_params + self.embedding_params + self.head_params

    @property
    def matmul_params(self) -> int:
        """Weights used in a matrix product per token: every block linear plus the output head (tied or not).

        The embedding lookup is a gather, not a product, so it is not counted (the usual 6N convention).
        """
        return self.block_linear_params + self.vocab * self.hidden

    def lora_params(self, rank: int, targets: tuple[str, ...] = ALL_PROJECTIONS) -> int:
        """rank x (in + out) per adapted projection, over every block."""
        dims = self.projection_dims()
        unknown = [t for t in targets if t not in dims]
        if unknown:
            raise PlannerError(f"Unknown LoRA target {unknown[0]!r}; use some of {', '.join(ALL_PROJECTIONS)}.")
        return self.layers * sum(rank * (dims[t][0] + dims[t][1]) for t in targets)

    def lora_out_features(self, targets: tuple[str, ...] = ALL_PROJECTIONS) -> int:
        """Sum of the adapted projections' output widths in one block (DoRA's magnitude vectors)."""
        dims = self.projection_dims()
        return sum(dims[t][1] for t in targets)

    def describe(self) -> str:
        quant = f", {self.quantization.bits}-bit (group {self.quantization.group_size})" if self.quantization else ""
        return (f"{self.name}: {self.total_params / 1e9:.2f}B parameters, {self.layers} layers, hidden {self.hidden}, "
                f"MLP {self.intermediate}, heads {self.heads}/{self.kv_heads} kv, vocab {self.vocab}"
                f"{', tied embeddings' if self.tied_embeddings else ''}{quant} ({self.source})")


def _shape(name: str, hidden: int, layers: int, heads: int, kv_heads: int, intermediate: int, vocab: int,
           tied: bool, aliases: tuple[str, ...]) -> ModelShape:
    return ModelShape(name=name, hidden=hidden, layers=layers, heads=heads, kv_heads=kv_heads,
                      intermediate=intermediate, vocab=vocab, tied_embeddings=tied, aliases=aliases)


# Numbers from each model's published config.json.
BUILTIN_SHAPES: dict[str, ModelShape] = {s.name: s for s in [
    _shape("llama-3.2-1b", 2048, 16, 32, 8, 8192, 128256, True, ("llama-1b", "llama-3-1b", "meta-llama/llama-3.2-1b")),
    _shape("llama-3.2-3b", 3072, 28, 24, 8, 8192, 128256, True, ("llama-3b", "llama-3-3b", "meta-llama/llama-3.2-3b")),
    _shape("llama-3.1-8b", 4096, 32, 32, 8, 14336, 128256, False,
           ("llama-8b", "llama-3-8b", "llama-3.3-8b", "meta-llama/llama-3.1-8b", "meta-llama/meta-llama-3-8b")),
    _shape("llama-3.1-70b", 8192, 80, 64, 8, 28672, 128256, False,
           ("llama-70b", "llama-3-70b", "llama-3.3-70b", "meta-llama/llama-3.1-70b", "meta-llama/llama-3.3-70b")),
    _shape("llama-3.1-405b", 16384, 126, 128, 8, 53248, 128256, False,
           ("llama-405b", "llama-3-405b", "meta-llama/llama-3.1-405b")),
    _shape("qwen2.5-7b", 3584, 28, 28, 4, 18944, 152064, False, ("qwen-7b", "qwen/qwen2.5-7b")),
    _shape("qwen2.5-14b", 5120, 48, 40, 8, 13824, 152064, False, ("qwen-14b", "qwen/qwen2.5-14b")),
    _shape("qwen2.5-32b", 5120, 64, 40, 8, 27648, 152064, False, ("qwen-32b", "qwen/qwen2.5-32b")),
    _shape("qwen2.5-72b", 8192, 80, 64, 8, 29568, 152064, False, ("qwen-72b", "qwen/qwen2.5-72b")),
    _shape("mistral-7b", 4096, 32, 32, 8, 14336, 32768, False,
           ("mistral-7b-v0.3", "mistralai/mistral-7b-v0.3", "mistral")),
]}


def _normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace("-instruct", "").replace("-4bit", "").replace("-8bit", "")


def builtin_shape(name: str) -> Optional[ModelShape]:
    """A built-in shape by name or alias (case-insensitive; "-Instruct" and "-4bit" suffixes ignored)."""
    key = _normalise(name)
    for shape in BUILTIN_SHAPES.values():
        if key == shape.name or key in shape.aliases:
            return shape
    return None


def _quantization_from_config(config: dict[str, Any]) -> Optional[Quantization]:
    """MLX writes {"quantization": {"bits", "group_size"}}; Hugging Face writes "quantization_config"."""
    for key in ("quantization", "quantization_config"):
        block = config.get(key)
        if not isinstance(block, dict):
            continue
        method = str(block.get("quant_method", "mlx" if key == "quantization" else "unknown"))
        if block.get("load_in_4bit"):
            return Quantization(bits=4, group_size=_group(block.get("bnb_4bit_blocksize")), method=method)
        if block.get("load_in_8bit"):
            return Quantization(bits=8, group_size=_group(block.get("group_size")), method=method)
        bits = block.get("bits")
        if isinstance(bits, (int, float)) and not isinstance(bits, bool) and 1 <= bits <= 16:
            return Quantization(bits=int(bits), group_size=_group(block.get("group_size")), method=method)
    return None


def _group(value: Any) -> int:
    """A quantization group size from a config, 64 when absent or not a sensible whole number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value <= 1 << 20:
        return int(value)
    return 64


MAX_DIMENSION = 1 << 20  # no transformer has a width, depth or vocabulary beyond a million


def _dimension(text: dict[str, Any], key: str) -> Optional[int]:
    value = text.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_DIMENSION:
        return value
    return None


def shape_from_config(config: dict[str, Any], name: str = "model", source: str = "config.json") -> ModelShape:
    """Read the shape from a parsed config.json (multimodal configs: from their "text_config").

    Every dimension must be a whole number from 1 to 2^20, and the heads must divide the width when no head_dim
    is given; anything else is a PlannerError naming the fields, never a crash deeper in the planner.
    """
    inner = config.get("text_config")
    text: dict[str, Any] = inner if isinstance(inner, dict) else config
    required = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size")
    missing = [k for k in required if _dimension(text, k) is None]
    if missing:
        raise PlannerError(f"{source} lacks {', '.join(missing)} (or they are not whole numbers from 1 to "
                           f"{MAX_DIMENSION:,}); the planner needs a decoder-only transformer config (Llama, Qwen, "
                           f"Mistral), or name a built-in model with `interiority models`.")
    hidden, heads = int(text["hidden_size"]), int(text["num_attention_heads"])
    kv_heads = _dimension(text, "num_key_value_heads") or heads
    head_dim = _dimension(text, "head_dim")
    if head_dim is None and hidden % heads:
        raise PlannerError(f"{source}: hidden_size {hidden} is not a multiple of num_attention_heads {heads} and "
                           f"no head_dim is given; fix the config.")
    tied = config.get("tie_word_embeddings", text.get("tie_word_embeddings", False))
    return ModelShape(
        name=name, hidden=hidden, layers=int(text["num_hidden_layers"]), heads=heads, kv_heads=kv_heads,
        intermediate=int(text["intermediate_size"]), vocab=int(text["vocab_size"]), tied_embeddings=bool(tied),
        head_dim=head_dim, quantization=_quantization_from_config(config) or _quantization_from_config(text),
        source=source)


def shape_from_folder(folder: Path) -> ModelShape:
    config_path = Path(folder) / "config.json"
    if not config_path.is_file():
        raise PlannerError(f"{folder} has no config.json; point --model at a model folder or a built-in name "
                           f"(see `interiority models`).")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlannerError(f"{config_path} cannot be read as JSON ({exc}); fix or replace the file.") from None
    if not isinstance(config, dict):
        raise PlannerError(f"{config_path} is not a JSON object; fix or replace the file.")
    return shape_from_config(config, name=Path(folder).name, source=str(config_path))


def resolve_model(name_or_path: str) -> ModelShape:
    """A built-in name/alias, or a model folder holding config.json."""
    shape = builtin_shape(name_or_path)
    if shape is not None:
        return shape
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return shape_from_folder(path)
    names = ", ".join(BUILTIN_SHAPES)
    raise PlannerError(f"Unknown model {name_or_path!r}: name a built-in model ({names}) or a folder with config.json.")


def with_quantization(shape: ModelShape, quantization: Optional[Quantization]) -> ModelShape:
    return replace(shape, quantization=quantization)
