"""Reading every export back, as its consumer would, before the build counts as done.

Structural checks run for every format (each line is JSON of the right shape and
the row counts match what was written).  The mlx-lm formats are also loaded with
`mlx_lm.tuner.datasets.load_local_dataset`, which must pick the intended dataset
class; with a tokenizer every row is also processed (chat template applied), which
is exactly what training will do first.
"""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any, Callable, Optional

from core.dataset.formats import MLX_FORMATS
from core.dataset.split import SPLITS
from core.errors import UserError

ROLES = {"system", "user", "assistant"}
MLX_CLASSES = {"mlx-chat": "ChatDataset", "mlx-completions": "CompletionsDataset", "mlx-text": "TextDataset"}


class ExportValidationError(UserError):
    """An export that does not read back as its format; names the file and line."""


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _messages_ok(messages: Any, roles: set[str] = ROLES, role_key: str = "role", text_key: str = "content") -> bool:
    return (isinstance(messages, list) and len(messages) >= 2
            and all(isinstance(m, dict) and m.get(role_key) in roles and isinstance(m.get(text_key), str)
                    for m in messages))


def _chat(row: dict[str, Any]) -> bool:
    messages: Any = row.get("messages")
    return _messages_ok(messages) and messages[-1]["role"] == "assistant" and _is_text(messages[-1]["content"])


def _reply(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict)
            and value[0].get("role") == "assistant" and _is_text(value[0].get("content")))


def _dpo(row: dict[str, Any]) -> bool:
    prompt = row.get("prompt")
    return (isinstance(prompt, list) and bool(prompt)
            and all(isinstance(m, dict) and m.get("role") in ROLES and isinstance(m.get("content"), str) for m in prompt)
            and _reply(row.get("chosen")) and _reply(row.get("rejected"))
            and row["chosen"][0]["content"] != row["rejected"][0]["content"])


CHECKS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "mlx-chat": _chat,
    "openai": _chat,
    "mlx-completions": lambda r: _is_text(r.get("prompt")) and _is_text(r.get("completion")),
    "mlx-text": lambda r: _is_text(r.get("text")),
    "alpaca": lambda r: _is_text(r.get("instruction")) and isinstance(r.get("input"), str) and _is_text(r.get("output")),
    "sharegpt": lambda r: _messages_ok(r.get("conversations"), {"system", "human", "gpt"}, "from", "value")
    and r["conversations"][-1]["from"] == "gpt",
    "dpo": lambda r: _dpo(r),
}
SHAPES = {
    "mlx-chat": '{"messages": [..., {"role": "assistant", ...}]}', "openai": '{"messages": [...]}',
    "mlx-completions": '{"prompt", "completion"}', "mlx-text": '{"text"}',
    "alpaca": '{"instruction", "input", "output"}', "sharegpt": '{"conversations": [{"from", "value"}]}',
    "dpo": '{"prompt": [...], "chosen": [...], "rejected": [...]}',
}


def check_structure(fmt: str, folder: Path, expected: dict[str, int]) -> dict[str, int]:
    """Every split file of one format: JSON lines of the right shape, as many as written."""
    check = CHECKS[fmt]
    counts: dict[str, int] = {}
    for split in SPLITS:
        path = folder / f"{split}.jsonl"
        if not path.exists():
            counts[split] = 0
        else:
            rows = 0
            with open(path, "r", encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise ExportValidationError(f"{path} line {number} is not valid JSON ({exc.msg}).") from None
                    if not isinstance(row, dict) or not check(row):
                        raise ExportValidationError(f"{path} line {number} is not a {fmt} row {SHAPES[fmt]}.")
                    rows += 1
            counts[split] = rows
        if counts[split] != expected.get(split, 0):
            raise ExportValidationError(f"{path} holds {counts[split]} rows, but {expected.get(split, 0)} were written.")
    return counts


def check_with_mlx_lm(fmt: str, folder: Path, expected: dict[str, int], tokenizer: Optional[Any]) -> dict[str, Any]:
    """Load one mlx-lm format with mlx-lm's own loader; with a tokenizer, process every row."""
    from mlx_lm.tuner import datasets as mlx_datasets

    try:
        no_tokenizer: Any = tokenizer  # mlx-lm loads without one (types say otherwise)
        loaded = mlx_datasets.load_local_dataset(folder, no_tokenizer, types.SimpleNamespace())
    except Exception as exc:
        raise ExportValidationError(f"mlx-lm cannot load {folder}: {exc}.") from None
    tokens: dict[str, int] = {}
    for split, dataset in zip(SPLITS, loaded):
        if len(dataset) != expected.get(split, 0):
            raise ExportValidationError(f"mlx-lm read {len(dataset)} rows from {folder / (split + '.jsonl')}, "
                                        f"expected {expected.get(split, 0)}.")
        if not len(dataset):
            continue
        if type(dataset).__name__ != MLX_CLASSES[fmt]:
            raise ExportValidationError(f"mlx-lm read {folder / (split + '.jsonl')} as {type(dataset).__name__}, "
                                        f"not {MLX_CLASSES[fmt]}.")
        if tokenizer is not None:
            total = 0
            for index in range(len(dataset)):
                try:
                    ids, _offset = dataset.process(dataset[index])
                except Exception as exc:
                    raise ExportValidationError(f"{folder / (split + '.jsonl')} line {index + 1} fails in mlx-lm "
                                                f"with the tokenizer: {exc}.") from None
                if not ids:
                    raise ExportValidationError(f"{folder / (split + '.jsonl')} line {index + 1} has no tokens.")
                total += len(ids)
            tokens[split] = total
    return {"loader": "mlx_lm.tuner.datasets.load_local_dataset", "tokenized": tokenizer is not None,
            "tokens": tokens}


def validate_export(fmt: str, folder: Path, expected: dict[str, int], tokenizer: Optional[Any] = None,
                    use_mlx_lm: bool = True) -> dict[str, Any]:
    """Read one format's files back; returns what was checked (for the card)."""
    report: dict[str, Any] = {"rows": check_structure(fmt, folder, expected), "structure": "ok"}
    if fmt in MLX_FORMATS and use_mlx_lm and any(expected.values()):
        report["mlx_lm"] = check_with_mlx_lm(fmt, folder, expected, tokenizer)
    return report
